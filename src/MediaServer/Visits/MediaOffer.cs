using MediaServer.Codecs.Sdp;
using System.Net;
using MediaServer.Media;
using MediaServer.Routing;

namespace MediaServer.Visits;

/// <summary>A codec as one m-line of an offer names it.</summary>
public sealed record OfferedFormat(byte PayloadType, MediaCodec Codec, string RtpMap, string? Fmtp)
{
    /// <summary>The rtcp-fb values the offer names for this payload type (RFC 4585 §4.2), e.g. "nack", "nack pli", "ccm fir".</summary>
    public IReadOnlyList<string> Feedback { get; init; } = [];
}

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

/// <summary>What a WebRTC offer says about ICE and DTLS (RFC 8839, RFC 8842).</summary>
public sealed record WebRtcOfferInfo(string IceUfrag, string IcePwd, IReadOnlyList<SdpFingerprint> Fingerprints, SdpSetup Setup);

public sealed record MediaOffer(bool IsWebRtc, IReadOnlyList<OfferedMedia> Media, WebRtcOfferInfo? WebRtc = null)
{
    /// <summary>
    /// The client said it sends each plain-RTP stream from the port it receives it on (symmetric RTP, RFC 4961; the join's
    /// <c>?rtp=symmetric</c>), so its m-lines may go on the shared pairs (<see cref="Transport.SharedRtpPorts"/>).
    /// </summary>
    public bool SymmetricRtp { get; init; }
}
