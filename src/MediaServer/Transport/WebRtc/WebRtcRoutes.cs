using MediaServer.Media;

namespace MediaServer.Transport.WebRtc;

/// <summary>
/// Where a WebRTC leg's incoming packets go. Audio and video arrive BUNDLEd on one transport, so RTP is routed by payload type;
/// one RTCP compound can be about every stream of the leg, so each outgoing stream (its feedback) and each sink of the peer's
/// sender reports sees all of it and picks out its own SSRC.
/// </summary>
public sealed class WebRtcRoutes
{
    public WebRtcRoutes(IRtpSink?[] byPayloadType, IReadOnlyList<IOutgoingStream> outgoing, IReadOnlyList<IRtcpSink> senderReports)
    {
        if (byPayloadType.Length != 128)
        {
            throw new ArgumentException("A payload type map has 128 entries.", nameof(byPayloadType));
        }
        ByPayloadType = byPayloadType;
        Outgoing = outgoing;
        SenderReports = senderReports;
    }

    /// <summary>Nowhere: a leg that carries nothing yet (tests of the port's ICE and DTLS).</summary>
    public static WebRtcRoutes None => new(new IRtpSink?[128], [], []);

    public IRtpSink?[] ByPayloadType { get; }

    public IReadOnlyList<IOutgoingStream> Outgoing { get; }

    public IReadOnlyList<IRtcpSink> SenderReports { get; }
}
