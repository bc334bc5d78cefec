using System.Globalization;
using MediaServer.Testing.Sdp;

namespace MediaServer.Testing.Ffmpeg;

/// <summary>Where one RTP stream goes: the server's port from the answer, the payload type it agreed, our fixed SSRC and source port.</summary>
public sealed record RtpTarget(string Address, int Port, int PayloadType, uint Ssrc, int LocalPort)
{
    public string Url => $"rtp://{Address}:{Port}?localport={LocalPort}";
}

/// <summary>
/// FFmpeg as a plain-RTP kiosk or family device (docs/peers.md recipe): a lavfi test pattern and a sine tone, encoded and
/// sent as RTP, one port per stream, for a fixed number of frames so the receiver's count can be compared.
/// </summary>
public sealed class FfmpegSender : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private FfmpegSender(ChildProcess process, int videoFrames)
    {
        _process = process;
        VideoFrames = videoFrames;
    }

    /// <summary>Exactly how many video frames this sender encodes and sends (<c>-frames:v</c>).</summary>
    public int VideoFrames { get; }

    public ChildProcess Process => _process;

    public static FfmpegSender Start(string name, PartyMedia media, VideoCodec codec, RtpTarget video, RtpTarget? audio, TimeSpan duration)
    {
        var frames = (int)Math.Round(media.FrameRate * duration.TotalSeconds);
        var seconds = duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        List<string> args =
        [
            "-hide_banner", "-nostdin", "-nostats", "-loglevel", "warning",
            "-re", "-f", "lavfi", "-i", $"{media.Pattern}=size={media.Size}:rate={media.FrameRate}",
            "-re", "-f", "lavfi", "-i", $"sine=frequency={media.ToneHz}:sample_rate=48000",
            "-map", "0:v",
        ];
        args.AddRange(codec switch
        {
            // No look-ahead and no alt-ref frames: every encoded frame is a shown frame, as a live device sends.
            VideoCodec.Vp8 => ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "16", "-lag-in-frames", "0", "-auto-alt-ref", "0", "-b:v", "600k"],
            // Baseline without B-frames; SPS/PPS in band before each IDR, since the offer carries no sprop-parameter-sets.
            VideoCodec.H264 => ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-profile:v", "baseline", "-pix_fmt", "yuv420p", "-b:v", "600k"],
            _ => throw new ArgumentOutOfRangeException(nameof(codec)),
        });
        args.AddRange(
        [
            "-g", (media.FrameRate * 2).ToString(CultureInfo.InvariantCulture), "-frames:v", frames.ToString(CultureInfo.InvariantCulture),
            "-payload_type", video.PayloadType.ToString(CultureInfo.InvariantCulture),
            "-ssrc", video.Ssrc.ToString(CultureInfo.InvariantCulture),
            "-f", "rtp", video.Url,
        ]);
        if (audio is not null)
        {
            args.AddRange(
            [
                "-map", "1:a", "-c:a", "libopus", "-b:a", "48k", "-t", seconds,
                "-payload_type", audio.PayloadType.ToString(CultureInfo.InvariantCulture),
                "-ssrc", audio.Ssrc.ToString(CultureInfo.InvariantCulture),
                "-f", "rtp", audio.Url,
            ]);
        }

        return new FfmpegSender(ChildProcess.Start($"{name}-send", "ffmpeg", args), frames);
    }

    /// <summary>Waits for the sender to finish its frames; throws with its output if it fails or hangs.</summary>
    public async Task WaitUntilDoneAsync(TimeSpan timeout)
    {
        if (!await _process.WaitForExitAsync(timeout))
        {
            throw new TimeoutException($"The FFmpeg sender did not finish within {timeout}:\n{_process.Describe()}");
        }

        if (_process.ExitCode != 0)
        {
            throw new InvalidOperationException($"The FFmpeg sender failed:\n{_process.Describe()}");
        }
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
