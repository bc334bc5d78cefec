using System.Net;
using System.Net.Sockets;
using MediaServer.Codecs.Rtcp;
using MediaServer.Codecs.Rtp;
using MediaServer.Media;
using MediaServer.Metrics;
using Microsoft.Extensions.Logging;

namespace MediaServer.Transport;

/// <summary>
/// The server side of one plain-RTP m-line: an RTP and an RTCP socket of its own, or its place on a shared pair. On its own
/// pair the client's sending address is latched from its first packet that comes from the IP the join request came from
/// (clients such as FFmpeg send from other ports than they receive on, so the port is learnt, the host never); on a shared
/// pair (<see cref="SharedRtpPorts"/>, a symmetric client) it is the address the offer named from the start. Datagrams from
/// any other host, and after the latch from any other port, are dropped and counted as unknown_source, and so are datagrams
/// longer than the receive buffer, as oversize. Valid RTP goes to the sink, valid RTCP to the RTCP sinks; nothing here throws or allocates per packet. What goes back to the client leaves
/// through the m-line's <see cref="PlainRtpPeer"/>.
/// </summary>
public sealed class PlainRtpEndpoint : ILegTransport
{
    private readonly IPlainRtpPorts _ports;
    private readonly IPAddress _expectedSource;
    private readonly IRtpSink? _sink;
    private readonly IRtcpSink? _feedback;
    private readonly IRtcpSink? _senderReports;
    private readonly RelayMetrics _metrics;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly RtpHandler _rtp;
    private readonly RtcpHandler _rtcp;
    private volatile bool _closed;

    /// <param name="ports">Its own pair, or its place on a shared one (disposed with the endpoint).</param>
    /// <param name="peer">The way back to the client on this m-line's sockets (closed with the endpoint).</param>
    /// <param name="expectedSource">Only this IP may latch: the address the join request came from (never one named only in SDP).</param>
    /// <param name="sink">Where RTP goes; null for a receive-only slot, where nothing may be sent to us.</param>
    /// <param name="feedback">Receives the client's RTCP feedback for what we send on this m-line (the receiver slot); null for none.</param>
    /// <param name="senderReports">Receives the client's sender reports about what it sends on this m-line (its track); null for none.</param>
    public PlainRtpEndpoint(IPlainRtpPorts ports, PlainRtpPeer peer, IPAddress expectedSource, IRtpSink? sink, IRtcpSink? feedback,
        IRtcpSink? senderReports, RelayMetrics metrics, ILogger logger)
    {
        _ports = ports;
        Peer = peer;
        _expectedSource = expectedSource ?? throw new ArgumentNullException(nameof(expectedSource));
        _sink = sink;
        _feedback = feedback;
        _senderReports = senderReports;
        _metrics = metrics;
        _logger = logger;
        _rtp = new RtpHandler(this, ports.RtpSource);
        _rtcp = new RtcpHandler(this, ports.RtcpSource);
    }

    public int RtpPort => _ports.RtpPort;

    public int RtcpPort => _ports.RtcpPort;

    /// <summary>The way back to the client on this m-line.</summary>
    public PlainRtpPeer Peer { get; }

    /// <summary>Plain RTP carries no authentication (RFC 3550 §9): anyone who reaches the port could have sent a packet.</summary>
    public bool Authenticated => false;

    public void Start()
    {
        _ports.Start(_rtp, _rtcp, _logger, _stop.Token);
    }

    public void Dispose()
    {
        if (_closed)
        {
            return;
        }
        _closed = true;
        Peer.Close();
        _stop.Cancel();
        _ports.Dispose();
        _stop.Dispose();
    }

    private bool Admit(ref SocketAddress? latched, SocketAddress source)
    {
        if (_closed)
        {
            _metrics.CountDrop(DropReason.Closed);
            return false;
        }
        if (latched is not null)
        {
            if (latched.Equals(source))
            {
                return true;
            }
            _metrics.CountDrop(DropReason.UnknownSource);
            return false;
        }
        if (!SameAddress(source, _expectedSource))
        {
            _metrics.CountDrop(DropReason.UnknownSource);
            return false;
        }
        // First packet from the expected host: remember the exact address (one allocation per leg, not per packet).
        var copy = new SocketAddress(source.Family, source.Size);
        source.Buffer.Span[..source.Size].CopyTo(copy.Buffer.Span);
        latched = copy;
        return true;
    }

    /// <summary>Compares the IP part of a raw socket address without building an <see cref="IPEndPoint"/>.</summary>
    internal static bool SameAddress(SocketAddress source, IPAddress expected)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!expected.TryWriteBytes(bytes, out var length))
        {
            return false;
        }
        var raw = source.Buffer.Span;
        // sockaddr_in: family(2) port(2) addr(4); sockaddr_in6: family(2) port(2) flowinfo(4) addr(16) scope(4).
        if (source.Family == AddressFamily.InterNetwork && length == 4)
        {
            return raw.Slice(4, 4).SequenceEqual(bytes[..4]);
        }
        if (source.Family == AddressFamily.InterNetworkV6 && length == 16)
        {
            return raw.Slice(8, 16).SequenceEqual(bytes);
        }
        return false;
    }

    private void CountOversize()
    {
        _metrics.CountIn(DatagramReceiveLoop.BufferSize + 1);
        _metrics.CountDrop(DropReason.Oversize);
    }

    private sealed class RtpHandler(PlainRtpEndpoint owner, SocketAddress? fixedSource) : IDatagramHandler
    {
        private SocketAddress? _latched = fixedSource;

        public void OnOversize(SocketAddress source) => owner.CountOversize();

        public void OnDatagram(Span<byte> datagram, SocketAddress source)
        {
            owner._metrics.CountIn(datagram.Length);
            if (!owner.Admit(ref _latched, source))
            {
                return;
            }
            if (!RtpPacket.TryParse(datagram, out var packet) || RtpDemux.IsRtcp(datagram))
            {
                owner._metrics.CountDrop(DropReason.Malformed);
                return;
            }
            if (owner._sink is null)
            {
                owner._metrics.CountDrop(DropReason.NoRoute);
                return;
            }
            var header = new RtpHeaderInfo(packet.SequenceNumber, packet.Timestamp, packet.Ssrc, packet.PayloadType, packet.Marker, packet.HeaderLength);
            owner._sink.OnRtp(datagram, header);
        }
    }

    private sealed class RtcpHandler(PlainRtpEndpoint owner, SocketAddress? fixedSource) : IDatagramHandler
    {
        private SocketAddress? _latched = fixedSource;

        public void OnOversize(SocketAddress source) => owner.CountOversize();

        public void OnDatagram(Span<byte> datagram, SocketAddress source)
        {
            owner._metrics.CountIn(datagram.Length);
            if (!owner.Admit(ref _latched, source))
            {
                return;
            }
            // RFC 3550 §6.1: a compound packet is a run of well-formed RTCP packets that fill the datagram exactly.
            var reader = new RtcpCompoundReader(datagram);
            var count = 0;
            while (reader.MoveNext())
            {
                count++;
            }
            if (reader.Error || count == 0)
            {
                owner._metrics.CountDrop(DropReason.Malformed);
                return;
            }
            owner._metrics.CountRtcpIn();
            owner._feedback?.OnRtcp(datagram);
            // The client's sender reports about what it sends on this m-line (RFC 3550 §6.4.1): kept with the recording.
            owner._senderReports?.OnRtcp(datagram);
        }
    }
}
