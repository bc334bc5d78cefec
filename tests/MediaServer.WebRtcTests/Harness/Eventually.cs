using System.Diagnostics;

namespace MediaServer.WebRtcTests.Harness;

/// <summary>Waits for a condition by polling it, never for a fixed time: the test moves on the moment the condition holds.</summary>
internal static class Eventually
{
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what,
        TimeSpan? interval = null)
    {
        var clock = Stopwatch.StartNew();
        var pause = interval ?? TimeSpan.FromMilliseconds(100);
        T last;
        while (true)
        {
            last = await probe();
            if (done(last))
            {
                return last;
            }
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Waited {timeout.TotalSeconds:0.#} s for {what}; last seen: {Describe(last)}");
            }
            await Task.Delay(pause);
        }
    }

    private static string Describe<T>(T value) => value switch
    {
        null => "null",
        string s => s,
        _ => System.Text.Json.JsonSerializer.Serialize(value),
    };
}
