namespace MediaServer.WebRtcTests;

/// <summary>The seed of the impairment proxy's and the hostile inputs' randomness, so a failing run can be repeated (WEBRTC_TEST_SEED).</summary>
internal static class TestSeed
{
    public static int Value { get; } = int.TryParse(Environment.GetEnvironmentVariable("WEBRTC_TEST_SEED"), out var seed) ? seed : 20240611;
}
