using MediaServer.Codecs.Sdp;
using System.Net;
using MediaServer.Routing;

namespace MediaServer.Visits;

/// <summary>A codec as one m-line of an offer names it.</summary>
public sealed record OfferedFormat(byte PayloadType, MediaCodec Codec, string RtpMap, string? Fmtp);

/// <summary>One m-line of a plain-RTP offer, reduced to what the join needs.</summary>
public sealed record OfferedMedia(
    int Index,
    string Media,
    int Port,
    string Protocol,
    IReadOnlyList<string> Formats,
    IPAddress? Address,
    int? RtcpPort,
    SdpDirection Direction,
    IReadOnlyList<OfferedFormat> Supported,
    string? Mid)
{
    public MediaKind? Kind => Media switch
    {
        "audio" => MediaKind.Audio,
        "video" => MediaKind.Video,
        _ => null,
    };

    /// <summary>Whether the client will send on this m-line (our answer then receives).</summary>
    public bool ClientSends => Direction is SdpDirection.SendRecv or SdpDirection.SendOnly;

    /// <summary>Whether the client wants to receive on this m-line.</summary>
    public bool ClientReceives => Direction is SdpDirection.SendRecv or SdpDirection.RecvOnly;
}

public sealed record MediaOffer(bool IsWebRtc, IPAddress? SessionAddress, IReadOnlyList<OfferedMedia> Media);
