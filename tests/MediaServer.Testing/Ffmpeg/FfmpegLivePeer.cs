using System.Globalization;
using System.Net;
using MediaServer.Testing.Sdp;

namespace MediaServer.Testing.Ffmpeg;

public readonly record struct FrameCount(long Video, long Audio);

/// <summary>
/// A plain-RTP party made of two FFmpeg processes (docs/peers.md, "FFmpeg"): one sends a test pattern and a tone as VP8 + Opus to the
/// ports of the server's answer, one receives what the server relays on the ports of our offer and keeps it in a file.
/// </summary>
public sealed class FfmpegLivePeer : IAsyncDisposable
{
    private readonly string _directory;
    private readonly int _videoPort;
    private readonly int _audioPort;
    private ChildProcess? _sender;
    private ChildProcess? _receiver;

    public int ServerVideoPort { get; private set; }
    public int ServerAudioPort { get; private set; }
    public string ServerAddress { get; private set; } = "127.0.0.1";
    public string? Location { get; private set; }

    /// <summary>The test pattern's size, so a receiver can tell this party's picture from another's.</summary>
    public string VideoSize { get; init; } = "640x360";

    public FfmpegLivePeer(string directory)
    {
        _directory = directory;
        Directory.CreateDirectory(directory);
        _videoPort = PortAllocator.FreeClientRtpPair();
        _audioPort = PortAllocator.FreeClientRtpPair();
    }

    /// <summary>Our offer: where we receive (docs/api.md: the m-line port is the client's receive port, RTCP on port+1).</summary>
    public string Offer => new PlainRtpOffer().AddVideo(_videoPort, MediaDirection.SendRecv, VideoCodec.Vp8).AddAudio(_audioPort).Build();

    public async Task<ApiResponse> JoinAsync(MediaServerApi api, string visitId, string token)
    {
        var result = await api.JoinRawAsync(token, visitId, Offer);
        if (result.Status != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"plain-RTP join → {(int)result.Status}: {result.Body}");
        }
        Location = result.Location?.OriginalString;
        var answer = SdpDescription.Parse(result.Body);
        var video = answer.Media.FirstOrDefault(m => m.Kind == "video");
        ServerVideoPort = video?.Port ?? 0;
        ServerAudioPort = answer.Media.FirstOrDefault(m => m.Kind == "audio")?.Port ?? 0;
        ServerAddress = video?.ConnectionAddress ?? answer.SessionAddress ?? ServerAddress;
        if (ServerVideoPort == 0 || ServerAudioPort == 0)
        {
            throw new InvalidOperationException($"The answer does not accept both m-lines:\n{result.Body}");
        }
        return result;
    }

    /// <summary>
    /// Starts decoding what the server relays to us. framecrc prints one line per decoded frame as it goes ("stream, dts, pts,
    /// duration, size, crc"), so the count survives however the process ends; short probing so the first second is not lost.
    /// </summary>
    public void StartReceiving()
    {
        var sdp = Path.Combine(_directory, "receive.sdp");
        File.WriteAllText(sdp, Offer);
        _receiver = ChildProcess.Start("ffmpeg-receive", "ffmpeg",
            ["-hide_banner", "-nostdin", "-loglevel", "warning", "-protocol_whitelist", "file,udp,rtp",
                "-probesize", "32768", "-analyzeduration", "500000", "-i", sdp,
                "-map", "0", "-flush_packets", "1", "-f", "framecrc", "-"]);
    }

    /// <summary>Frames decoded so far: (video, audio). Stream 0 is the SDP's video m-line, stream 1 its audio.</summary>
    public FrameCount ReceivedFrames()
    {
        if (_receiver is null)
        {
            throw new InvalidOperationException("Not receiving.");
        }
        long video = 0, audio = 0;
        foreach (var line in _receiver.StandardOutput.Split('\n'))
        {
            if (line.StartsWith("0,", StringComparison.Ordinal))
            {
                video++;
            }
            else if (line.StartsWith("1,", StringComparison.Ordinal))
            {
                audio++;
            }
        }
        return new FrameCount(video, audio);
    }

    /// <summary>Sends a moving test pattern (VP8) and a 440 Hz tone (Opus) to the ports of the answer, in real time.</summary>
    public void StartSending(TimeSpan duration)
    {
        var seconds = ((int)Math.Ceiling(duration.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        _sender = ChildProcess.Start("ffmpeg-send", "ffmpeg",
        [
            "-hide_banner", "-nostdin", "-loglevel", "warning", "-re",
            "-f", "lavfi", "-i", $"testsrc2=size={VideoSize}:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", seconds,
            "-map", "0:v", "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "800k", "-g", "30",
            "-payload_type", "96", "-ssrc", "1111", "-f", "rtp", $"rtp://{ServerAddress}:{ServerVideoPort}",
            "-map", "1:a", "-c:a", "libopus", "-payload_type", "111", "-ssrc", "2222", "-f", "rtp", $"rtp://{ServerAddress}:{ServerAudioPort}",
        ]);
    }

    /// <summary>FFmpeg's own words (stderr; the receiver's stdout is the frame list).</summary>
    public string Log => $"--- ffmpeg-send ---\n{_sender?.StandardError}\n--- ffmpeg-receive ---\n{_receiver?.StandardError}";

    public async ValueTask DisposeAsync()
    {
        if (_sender is not null)
        {
            await _sender.DisposeAsync();
        }
        if (_receiver is not null)
        {
            await _receiver.DisposeAsync();
        }
    }
}
