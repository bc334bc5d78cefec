using System.Globalization;
using System.Text;

namespace MediaServer.Testing.Sdp;

public enum VideoCodec
{
    Vp8,
    H264,
}

public enum MediaDirection
{
    SendRecv,
    RecvOnly,
    SendOnly,
    Inactive,
}

/// <summary>One m-line the client offers: where it receives, what it can decode, which way media flows.</summary>
public sealed record OfferedMedia(string Kind, int Port, MediaDirection Direction, IReadOnlyList<(int PayloadType, string RtpMap, string? Fmtp)> Formats)
{
    /// <summary>rtcp-fb values for every format of the m-line (RFC 4585 §4.2), e.g. "nack": written as a=rtcp-fb:&lt;pt&gt; nack.</summary>
    public IReadOnlyList<string> Feedback { get; init; } = [];
}

/// <summary>
/// Builds the plain-RTP offer an FFmpeg kiosk or family device sends (RFC 4566 SDP, RTP/AVP profile of RFC 3551):
/// each m-line's port, with the session's c=, is where the client receives that slot's RTP (RTCP on port+1).
/// </summary>
public sealed class PlainRtpOffer
{
    public const int OpusPayloadType = 111;

    private readonly List<OfferedMedia> _media = [];

    public PlainRtpOffer(string address = "127.0.0.1")
    {
        Address = address;
    }

    public string Address { get; }

    public IReadOnlyList<OfferedMedia> Media => _media;

    /// <summary>A video m-line; the first codec gets payload type 96, the next 97 (RFC 3551 §6: dynamic range).</summary>
    public PlainRtpOffer AddVideo(int port, MediaDirection direction, params VideoCodec[] codecs)
    {
        if (codecs.Length == 0)
        {
            throw new ArgumentException("Offer at least one codec", nameof(codecs));
        }

        var formats = codecs.Select((codec, i) => codec switch
        {
            VideoCodec.Vp8 => (96 + i, "VP8/90000", (string?)null),
            // RFC 6184 §8.1: packetization-mode=1 allows FU-A and STAP-A, which FFmpeg's packetizer uses.
            VideoCodec.H264 => (96 + i, "H264/90000", "packetization-mode=1"),
            _ => throw new ArgumentOutOfRangeException(nameof(codecs)),
        }).ToList();
        _media.Add(new OfferedMedia("video", port, direction, formats));
        return this;
    }

    /// <summary>Asks for RTCP feedback (RFC 4585 §4.2) on every format of the last m-line added, e.g. "nack".</summary>
    public PlainRtpOffer WithFeedback(params string[] feedback)
    {
        _media[^1] = _media[^1] with { Feedback = feedback };
        return this;
    }

    /// <summary>An Opus m-line (RFC 7587 §7: always opus/48000/2 in SDP, whatever the channel count sent).</summary>
    public PlainRtpOffer AddAudio(int port, MediaDirection direction = MediaDirection.SendRecv)
    {
        _media.Add(new OfferedMedia("audio", port, direction, [(OpusPayloadType, "opus/48000/2", null)]));
        return this;
    }

    public string Build() => Render(_media);

    /// <summary>An SDP with only some of the offer's m-lines, for a receiver that listens to those slots alone.</summary>
    public string BuildFor(IEnumerable<OfferedMedia> media) => Render(media);

    private string Render(IEnumerable<OfferedMedia> media)
    {
        var sdp = new StringBuilder();
        // RFC 4566 §5: v, o, s, c, t in this order; lines end with CRLF.
        Line(sdp, "v=0");
        Line(sdp, $"o=- {Random.Shared.Next(1, int.MaxValue)} 1 IN IP4 {Address}");
        Line(sdp, "s=mediaserver-integration");
        Line(sdp, $"c=IN IP4 {Address}");
        Line(sdp, "t=0 0");
        foreach (var m in media)
        {
            Line(sdp, $"m={m.Kind} {m.Port} RTP/AVP {string.Join(' ', m.Formats.Select(f => f.PayloadType))}");
            foreach (var (pt, rtpMap, fmtp) in m.Formats)
            {
                Line(sdp, $"a=rtpmap:{pt} {rtpMap}");
                if (fmtp is not null)
                {
                    Line(sdp, $"a=fmtp:{pt} {fmtp}");
                }

                foreach (var feedback in m.Feedback)
                {
                    Line(sdp, $"a=rtcp-fb:{pt} {feedback}");
                }
            }

            Line(sdp, "a=" + m.Direction switch
            {
                MediaDirection.SendRecv => "sendrecv",
                MediaDirection.RecvOnly => "recvonly",
                MediaDirection.SendOnly => "sendonly",
                _ => "inactive",
            });
        }

        return sdp.ToString();
    }

    private static void Line(StringBuilder sdp, string line) => sdp.Append(line).Append("\r\n");
}
