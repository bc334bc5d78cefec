using System.Net;
using System.Net.Sockets;
using MediaServer.Codecs.Rtcp;
using MediaServer.Transport;

namespace MediaServer.Tests.Transport;

/// <summary>A plain-RTP m-line's way back: bound to the client's ports, sending from the m-line's own (symmetric RTP).</summary>
public sealed class PlainRtpPeerTests : IDisposable
{
    private readonly UdpPortPair _pair;
    private readonly Socket _clientRtp = Bound();
    private readonly Socket _clientRtcp = Bound();
    private readonly PlainRtpPeer _peer;

    public PlainRtpPeerTests()
    {
        _pair = new PortAllocator(IPAddress.Loopback, 48000, 48999).Allocate() ?? throw new InvalidOperationException("no port pair free");
        _peer = new PlainRtpPeer(_pair, (IPEndPoint)_clientRtp.LocalEndPoint!, (IPEndPoint)_clientRtcp.LocalEndPoint!);
    }

    private static Socket Bound()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    private static (byte[] Data, int FromPort) Receive(Socket socket)
    {
        var buffer = new byte[1500];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        var length = socket.ReceiveFrom(buffer, ref from);
        return (buffer[..length], ((IPEndPoint)from).Port);
    }

    [Fact]
    public void Rtp_goes_to_the_clients_rtp_port_from_the_m_lines_rtp_port()
    {
        Assert.True(_peer.IsReady);
        Assert.True(_peer.TrySend([0x80, 96, 0, 1]));

        var (data, fromPort) = Receive(_clientRtp);
        Assert.Equal([0x80, 96, 0, 1], data);
        Assert.Equal(_pair.RtpPort, fromPort);
    }

    [Fact]
    public void A_keyframe_request_is_a_pli_to_the_clients_rtcp_port_and_nothing_goes_after_close()
    {
        _peer.RequestKeyframe(0x1234);

        var (data, fromPort) = Receive(_clientRtcp);
        Assert.Equal(_pair.RtcpPort, fromPort);
        Assert.True(RtcpPli.TryParse(data, out var pli));
        Assert.Equal(0x1234u, pli.MediaSsrc);
        Assert.Equal(_peer.RtcpSsrc, pli.SenderSsrc);

        _peer.Close();
        Assert.False(_peer.SendRtcp(data));
    }

    public void Dispose()
    {
        _pair.Dispose();
        _clientRtp.Dispose();
        _clientRtcp.Dispose();
    }
}
