using System.Net;
using System.Net.Sockets;
using MediaServer.Codecs.Rtcp;
using MediaServer.Media;

namespace MediaServer.Transport;

/// <summary>
/// The way out of one plain-RTP m-line to its client, bound when the leg is built to the only host the server knows is the
/// client's (the join request's address) at the ports its offer named: RTP to the offered port, RTCP to port + 1 or a=rtcp
/// (RFC 3550 §11, RFC 3605). Sends from the m-line's own sockets, so the client sees media come from where the answer said
/// (symmetric RTP). Closed with its <see cref="PlainRtpEndpoint"/>.
/// </summary>
public sealed class PlainRtpPeer : IRtpSender, IRtcpChannel, IKeyframeSource
{
    private readonly UdpDatagramSender _rtp;
    private readonly UdpDatagramSender _rtcp;
    private volatile bool _closed;

    public PlainRtpPeer(IPlainRtpPorts ports, IPEndPoint rtpDestination, IPEndPoint rtcpDestination)
    {
        _rtp = new UdpDatagramSender(ports.Rtp);
        _rtcp = new UdpDatagramSender(ports.Rtcp);
        RtpDestination = rtpDestination.Serialize();
        RtcpDestination = rtcpDestination.Serialize();
    }

    /// <summary>Where the client receives RTP for this m-line.</summary>
    public SocketAddress RtpDestination { get; }

    /// <summary>Where the client receives RTCP for this m-line.</summary>
    public SocketAddress RtcpDestination { get; }

    /// <summary>Our SSRC as the sender of RTCP feedback on this m-line.</summary>
    public uint RtcpSsrc { get; } = (uint)Random.Shared.NextInt64(1, 1L << 32);

    public bool IsReady => true;

    public bool TrySend(ReadOnlySpan<byte> packet) => _rtp.TrySend(packet, RtpDestination);

    public bool SendRtcp(ReadOnlySpan<byte> compound) => !_closed && _rtcp.TrySend(compound, RtcpDestination);

    /// <summary>Sends the client a PLI for its track (RFC 4585 §6.3.1) from this m-line's RTCP port.</summary>
    public void RequestKeyframe(uint mediaSsrc)
    {
        if (_closed)
        {
            return;
        }
        Span<byte> pli = stackalloc byte[RtcpPli.Length];
        var length = RtcpPli.Write(pli, RtcpSsrc, mediaSsrc);
        if (length > 0)
        {
            _rtcp.TrySend(pli[..length], RtcpDestination);
        }
    }

    internal void Close() => _closed = true;
}
