using MediaServer.IntegrationTests.Harness.Sdp;

namespace MediaServer.IntegrationTests.Harness.Ffmpeg;

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
/// <c>-listen_timeout</c> makes it stop by itself once the server stops sending, which also writes a complete file.
/// </summary>
public sealed class FfmpegSlotReceiver : IAsyncDisposable
{
    /// <summary>How long without a packet (also before the first one) before the receiver stops by itself.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(4);

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
                "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info",
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
    /// Waits for the receiver to stop by itself (idle timeout), then reads back the recording. A receiver still running
    /// at the deadline is killed: something kept sending to it.
    /// </summary>
    public async Task<SlotRecording> FinishAsync(TimeSpan timeout)
    {
        var notes = new List<string>();
        if (!await _process.WaitForExitAsync(timeout))
        {
            notes.Add($"still receiving {timeout.TotalSeconds:0} s after it was asked to finish; killed");
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
}
