using System.Net;
using System.Net.Sockets;
using MediaServer.Testing.Sdp;

namespace MediaServer.Testing.Ffmpeg;

/// <summary>What one offered slot (m-line) received, as FFmpeg recorded it and ffprobe read it back.</summary>
public sealed record SlotRecording(int Slot, OfferedMedia Media, string? Path, ProbedStream? Stream, ToneEstimate? Tone, string Diagnostics)
{
    public bool GotMedia => Stream is not null;

    public override string ToString() =>
        $"slot {Slot} ({Media.Kind} port {Media.Port} {Media.Direction}): " +
        (Stream is null ? "nothing recorded" : Stream + (Tone is null ? "" : $" tone {Tone}"));
}

/// <summary>
/// FFmpeg receiving ONE slot of a client's offer: an SDP holding just that m-line (its port is where the client
/// listens), recorded with <c>-c copy</c>. One process per slot because FFmpeg cannot write any container when one
/// of its input streams never delivered a frame (no video size), and a test must still see the slots that did.
/// It is ended the way an RTP session ends, with an RTCP BYE (RFC 3550 §6.6), which FFmpeg's RTP demuxer treats as end
/// of stream: the recording is then complete, and no fixed idle timeout decides how long a test takes.
/// </summary>
public sealed class FfmpegSlotReceiver : IAsyncDisposable
{
    /// <summary>
    /// FFmpeg's own give-up time without a packet (also before the first one): only a safety net, long enough for a
    /// slow sender start on a loaded machine, since the test ends each receiver with a BYE.
    /// </summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(20);

    private readonly ChildProcess _process;
    private readonly string _outputPath;

    private FfmpegSlotReceiver(int slot, OfferedMedia media, ChildProcess process, string outputPath)
    {
        Slot = slot;
        Media = media;
        _process = process;
        _outputPath = outputPath;
    }

    public int Slot { get; }

    public OfferedMedia Media { get; }

    public ChildProcess Process => _process;

    public static async Task<FfmpegSlotReceiver> StartAsync(string name, PlainRtpOffer offer, int slot, string directory)
    {
        var media = offer.Media[slot];
        var sdpPath = Path.Combine(directory, $"{name}-slot{slot}.sdp");
        var outputPath = Path.Combine(directory, $"{name}-slot{slot}-{media.Kind}.mkv");
        await File.WriteAllTextAsync(sdpPath, offer.BuildFor([media]));
        var process = ChildProcess.Start(
            $"{name}-recv{slot}",
            "ffmpeg",
            [
                "-hide_banner", "-nostdin", "-nostats", "-loglevel", Environment.GetEnvironmentVariable("MEDIASERVER_IT_FFMPEG_LOGLEVEL") ?? "info",
                "-protocol_whitelist", "file,udp,rtp",
                "-listen_timeout", ((int)IdleTimeout.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
                // Stream parameters come from the first keyframe; do not wait the default 5 s of stream time for them.
                "-analyzeduration", "3000000",
                "-i", sdpPath,
                "-map", "0", "-c", "copy", "-y", outputPath,
            ]);
        var receiver = new FfmpegSlotReceiver(slot, media, process, outputPath);

        // Ready once FFmpeg holds the RTP and RTCP ports; read from the kernel's table so we never race it for them.
        try
        {
            await Poll.UntilAsync(
                () => process.HasExited || (UdpPortTable.IsBound(media.Port) && UdpPortTable.IsBound(media.Port + 1)),
                TimeSpan.FromSeconds(15),
                $"FFmpeg receiver {name} slot {slot} to bind UDP {media.Port}/{media.Port + 1}",
                TimeSpan.FromMilliseconds(20));
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The FFmpeg receiver exited before binding its ports:\n{process.Describe()}");
            }
        }
        catch
        {
            await receiver.DisposeAsync();
            throw;
        }

        return receiver;
    }

    /// <summary>
    /// Once FFmpeg has read every datagram waiting for it, sends it an RTCP BYE and waits for it to write its file, then
    /// reads back the recording. Call it after the media is over (senders done, legs left).
    /// </summary>
    public async Task<SlotRecording> FinishAsync(TimeSpan timeout)
    {
        var notes = new List<string>();
        if (!_process.HasExited)
        {
            // FFmpeg reads RTCP before RTP when both are waiting, so a BYE must not overtake queued media.
            try
            {
                await Poll.UntilAsync(
                    () => _process.HasExited || (UdpPortTable.ReceiveQueueBytes(Media.Port) == 0 && UdpPortTable.ReceiveQueueBytes(Media.Port + 1) == 0),
                    timeout,
                    $"FFmpeg to read everything queued on UDP {Media.Port}",
                    TimeSpan.FromMilliseconds(50));
            }
            catch (TimeoutException e)
            {
                notes.Add(e.Message);
            }

            SendBye(Media.Port + 1);
        }

        if (!await _process.WaitForExitAsync(timeout))
        {
            notes.Add($"still running {timeout.TotalSeconds:0} s after its RTCP BYE; killed");
            _process.Kill();
            await _process.WaitForExitAsync(TimeSpan.FromSeconds(5));
        }

        ProbedStream? stream = null;
        ToneEstimate? tone = null;
        if (File.Exists(_outputPath) && new FileInfo(_outputPath).Length > 0)
        {
            try
            {
                var streams = await MediaProbe.ProbeAsync(_outputPath);
                stream = streams.Count > 0 ? streams[0] : null;
                if (stream is { CodecType: "audio" })
                {
                    tone = await MediaProbe.EstimateToneAsync(_outputPath, stream.Index);
                }
            }
            catch (InvalidOperationException e)
            {
                notes.Add(e.Message);
            }
        }
        else
        {
            notes.Add("no recording written");
        }

        var diagnostics = string.Join('\n', notes) + "\n" + _process.Describe(maxLines: 60);
        return new SlotRecording(Slot, Media, File.Exists(_outputPath) ? _outputPath : null, stream, tone, diagnostics);
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private static void SendBye(int rtcpPort)
    {
        // RFC 3550 §6.6: V=2, SC=2, PT=203 (BYE), length 2 (three 32-bit words), two SSRCs. Two, because FFmpeg's RTP
        // demuxer discards any datagram shorter than an RTP header (12 bytes) before it looks for RTCP.
        ReadOnlySpan<byte> bye = [0x82, 203, 0x00, 0x02, 0x0B, 0x1E, 0x0B, 0x1E, 0x0B, 0x1E, 0x0B, 0x1F];
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.SendTo(bye, new IPEndPoint(IPAddress.Loopback, rtcpPort));
    }
}
