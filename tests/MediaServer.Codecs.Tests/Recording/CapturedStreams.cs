using MediaServer.Codecs.Payload;

namespace MediaServer.Codecs.Tests.Recording;

/// <summary>
/// Two seconds of 320x240 video at 30 fps sent by a real FFmpeg as VP8 and as H.264 (keyframe every 15 frames), captured
/// once for the tests that share it.
/// </summary>
public sealed class CapturedStreams : IAsyncLifetime
{
    public const int FrameCount = 60;

    private static readonly string[] Source = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-t", "2"];

    public IReadOnlyList<byte[]> Vp8 { get; private set; } = [];

    public IReadOnlyList<byte[]> H264 { get; private set; } = [];

    public async Task InitializeAsync()
    {
        var vp8 = FfmpegRtpCapture.RunAsync(
            [.. Source, "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k", "-g", "15",
                "-payload_type", "96", "-ssrc", "1111"],
            TimeSpan.FromSeconds(30));
        var h264 = FfmpegRtpCapture.RunAsync(
            [.. Source, "-c:v", "libx264", "-tune", "zerolatency", "-profile:v", "baseline", "-preset", "veryfast",
                "-g", "15", "-payload_type", "102", "-ssrc", "3333"],
            TimeSpan.FromSeconds(30));
        Vp8 = (await vp8).Rtp;
        H264 = (await h264).Rtp;
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public IReadOnlyList<byte[]> Packets(string codec) => codec == "VP8" ? Vp8 : H264;

    public static VideoDepacketizer NewDepacketizer(string codec) =>
        codec == "VP8" ? new Vp8Depacketizer() : new H264Depacketizer();
}
