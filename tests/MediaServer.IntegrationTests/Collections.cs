namespace MediaServer.IntegrationTests;

/// <summary>
/// Tests that run several FFmpeg encoders at once. They run alone (after the parallel tests), because on a two-core
/// machine a parallel test's CPU use would starve the encoders and make frame counts measure the machine, not the relay.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FfmpegMediaCollection
{
    public const string Name = "FFmpeg media";
}
