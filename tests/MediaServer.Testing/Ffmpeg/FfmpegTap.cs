using System.Globalization;
using MediaServer.Testing.Sdp;

namespace MediaServer.Testing.Ffmpeg;

/// <summary>
/// An officer's plain-RTP tap received by FFmpeg (docs/api.md taps; docs/peers.md, "FFmpeg"): a receive-only offer with one video and
/// one audio m-line per party, and an FFmpeg process that decodes every m-line and prints one framecrc line per frame.
/// </summary>
public sealed class FfmpegTap : IAsyncDisposable
{
    private readonly string _directory;
    private readonly List<(string Kind, int Port)> _media = [];
    private ChildProcess? _receiver;

    public FfmpegTap(string directory, int parties)
    {
        _directory = directory;
        Directory.CreateDirectory(directory);
        for (var i = 0; i < parties; i++)
        {
            _media.Add(("video", PortAllocator.FreeClientRtpPair()));
            _media.Add(("audio", PortAllocator.FreeClientRtpPair()));
        }
    }

    /// <summary>Where we receive each slot (RTCP on port+1), receive-only: a tap sends nothing.</summary>
    public string Offer => Sdp(MediaDirection.RecvOnly);

    private string Sdp(MediaDirection direction)
    {
        var offer = new PlainRtpOffer();
        foreach (var (kind, port) in _media)
        {
            if (kind == "video")
            {
                offer.AddVideo(port, direction, VideoCodec.Vp8);
            }
            else
            {
                offer.AddAudio(port, direction);
            }
        }
        return offer.Build();
    }

    /// <summary>Starts FFmpeg on the offer's ports (stream i = m-line i), before the tap is posted so no first packet is lost.</summary>
    public void StartReceiving()
    {
        var sdp = Path.Combine(_directory, "tap.sdp");
        File.WriteAllText(sdp, Sdp(MediaDirection.SendRecv));
        _receiver = ChildProcess.Start("ffmpeg-tap", "ffmpeg",
            ["-hide_banner", "-nostdin", "-loglevel", "warning", "-protocol_whitelist", "file,udp,rtp",
                "-probesize", "32768", "-analyzeduration", "500000", "-i", sdp,
                "-map", "0", "-flush_packets", "1", "-f", "framecrc", "-"]);
    }

    /// <summary>Frames decoded so far on each m-line, in offer order (video, audio per party).</summary>
    public long[] FramesPerSlot()
    {
        if (_receiver is null)
        {
            throw new InvalidOperationException("Not receiving.");
        }
        var counts = new long[_media.Count];
        foreach (var line in _receiver.StandardOutput.Split('\n'))
        {
            var comma = line.IndexOf(',', StringComparison.Ordinal);
            if (comma > 0 && int.TryParse(line.AsSpan(0, comma), NumberStyles.None, CultureInfo.InvariantCulture, out var stream)
                && stream < counts.Length)
            {
                counts[stream]++;
            }
        }
        return counts;
    }

    /// <summary>The first lines FFmpeg wrote to stderr (what it found in each stream; later lines repeat timestamp warnings).</summary>
    public string Log => $"--- ffmpeg-tap ---\n{string.Join('\n', (_receiver?.StandardError ?? "").Split('\n').Take(20))}";

    public async ValueTask DisposeAsync()
    {
        if (_receiver is not null)
        {
            await _receiver.DisposeAsync();
        }
    }
}
