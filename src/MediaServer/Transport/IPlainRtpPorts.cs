using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace MediaServer.Transport;

/// <summary>
/// Where one plain-RTP m-line's datagrams come in and go out: a port pair of its own (<see cref="UdpPortPair"/>, the sender's
/// address learnt from its first packet), or a place on a pair shared by symmetric clients (<see cref="SharedRtpPorts"/>, the
/// sender's address fixed by its offer). Disposing it stops the m-line's receiving; a shared pair itself stays open.
/// </summary>
public interface IPlainRtpPorts : IDisposable
{
    /// <summary>The server port the client sends RTP to (the answer's m-line port).</summary>
    int RtpPort { get; }

    /// <summary>The server port the client sends RTCP to (<see cref="RtpPort"/> + 1, RFC 3550 §11).</summary>
    int RtcpPort { get; }

    /// <summary>The socket RTP leaves from (the client sees it come from <see cref="RtpPort"/>: symmetric RTP, RFC 4961).</summary>
    Socket Rtp { get; }

    /// <summary>The socket RTCP leaves from.</summary>
    Socket Rtcp { get; }

    /// <summary>On shared ports, the one address this m-line's RTP comes from; null when it is learnt from the first packet.</summary>
    SocketAddress? RtpSource { get; }

    /// <summary>On shared ports, the one address this m-line's RTCP comes from; null when it is learnt from the first packet.</summary>
    SocketAddress? RtcpSource { get; }

    /// <summary>Starts handing this m-line's datagrams to the two handlers, until disposed or <paramref name="stop"/> fires.</summary>
    void Start(IDatagramHandler rtp, IDatagramHandler rtcp, ILogger logger, CancellationToken stop);
}
