using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using MediaServer.Codecs.Rtp;
using MediaServer.Metrics;
using MediaServer.Routing;
using MediaServer.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace MediaServer.Benchmarks;

/// <summary>
/// One RTP packet relayed end to end on the batched path, over real loopback sockets: a client sends it to a started
/// <see cref="PlainRtpEndpoint"/>, an I/O thread of <see cref="Transport.Batched.BatchedDatagramIo"/> receives it with
/// recvmmsg, runs the endpoint, the track and <c>Legs</c> receiver slots inline, queues each copy on its leg's
/// <see cref="PlainRtpPeer"/> socket and flushes with sendmmsg; the benchmark waits until every copy has reached its client.
/// With <c>Shared</c>, every m-line (the sender's and the receivers') is on one pair of <see cref="SharedRtpPorts"/> instead of
/// a pair of its own: one socket in, the copies out through one sendmmsg.
/// The allocation column counts every thread of the process (BenchmarkDotNet reads the runtime's total), so it covers the I/O
/// thread too: "-" means no byte allocated per relayed packet anywhere. The time is mostly the kernel's and the hand-off's.
/// </summary>
[MemoryDiagnoser]
public class BatchedRelayBenchmarks : IDisposable
{
    private const int PacketLength = 1200;
    private readonly byte[] _packet = new byte[PacketLength];
    private readonly byte[] _receiveBuffer = new byte[2048];
    private readonly List<PlainRtpEndpoint> _endpoints = [];
    private readonly List<Socket> _sockets = [];
    private IDisposable? _batched;
    private SharedRtpPorts? _shared;
    private Socket _client = null!;
    private Socket[] _sinks = [];
    private SocketAddress _server = null!;
    private ushort _sequence;
    private uint _timestamp;

    [Params(1, 4)]
    public int Legs { get; set; }

    [Params(false, true)]
    public bool Shared { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _batched = DatagramIo.UseBatched(1, NullLogger.Instance);
        var metrics = new RelayMetrics();
        var router = new VisitRouter("bench");
        var track = BenchVisit.KioskTrack(router, metrics);
        var ports = new PortAllocator(IPAddress.Loopback, 57_000, 57_999);
        if (Shared)
        {
            _shared = new SharedRtpPorts(Microsoft.Extensions.Options.Options.Create(new RtpOptions { SharedPairs = 1 }), ports, metrics,
                NullLogger<SharedRtpPorts>.Instance);
            _shared.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
        IPlainRtpPorts PortsFor(Socket client)
        {
            var at = (IPEndPoint)client.LocalEndPoint!;
            return (Shared ? _shared!.TryLease(at, new IPEndPoint(IPAddress.Loopback, at.Port + 1)) : ports.Allocate())
                ?? throw new InvalidOperationException("No free port pair in 57000-57999.");
        }
        _sinks = new Socket[Legs];
        for (var i = 0; i < Legs; i++)
        {
            _sinks[i] = Bound();
            var pair = PortsFor(_sinks[i]);
            var peer = new PlainRtpPeer(pair, (IPEndPoint)_sinks[i].LocalEndPoint!, new IPEndPoint(IPAddress.Loopback, 9));
            _endpoints.Add(new PlainRtpEndpoint(pair, peer, IPAddress.Loopback, null, null, null, metrics, NullLogger.Instance));
            BenchVisit.AttachReceiver(router, i, peer, metrics);
        }
        _client = Bound();
        var kioskPair = PortsFor(_client);
        var kioskPeer = new PlainRtpPeer(kioskPair, new IPEndPoint(IPAddress.Loopback, 9), new IPEndPoint(IPAddress.Loopback, 9));
        var kiosk = new PlainRtpEndpoint(kioskPair, kioskPeer, IPAddress.Loopback, track, null, track, metrics, NullLogger.Instance);
        _endpoints.Add(kiosk);
        foreach (var endpoint in _endpoints)
        {
            endpoint.Start();
        }
        _server = new IPEndPoint(IPAddress.Loopback, kiosk.RtpPort).Serialize();

        var payload = new byte[PacketLength - RtpPacket.FixedHeaderLength];
        new Random(1).NextBytes(payload);
        if (!RtpPacketWriter.TryWrite(_packet, new RtpHeaderFields(false, 96, 0, 0, 0x11223344), payload, out _))
        {
            throw new InvalidOperationException("Could not build the packet.");
        }
        for (var i = 0; i < 16; i++)
        {
            Relay(); // the first one latches the client's address (one allocation per leg, by design)
        }
    }

    private Socket Bound()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 10_000 };
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _sockets.Add(socket);
        return socket;
    }

    [Benchmark]
    public int Relay()
    {
        RtpHeader.SetSequenceNumber(_packet, ++_sequence);
        RtpHeader.SetTimestamp(_packet, _timestamp += 3000);
        _client.SendTo(_packet, SocketFlags.None, _server);
        var received = 0;
        foreach (var sink in _sinks)
        {
            received += sink.Receive(_receiveBuffer, SocketFlags.None);
        }
        return received;
    }

    [GlobalCleanup]
    public void Cleanup() => Dispose();

    public void Dispose()
    {
        foreach (var endpoint in _endpoints)
        {
            endpoint.Dispose();
        }
        _endpoints.Clear();
        _shared?.Dispose();
        _shared = null;
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }
        _sockets.Clear();
        _batched?.Dispose();
        _batched = null;
        GC.SuppressFinalize(this);
    }
}
