using System.Net;
using System.Reflection;
using BenchmarkDotNet.Attributes;
using MediaServer.Codecs.Rtp;
using MediaServer.Media;
using MediaServer.Metrics;
using MediaServer.Routing;
using MediaServer.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace MediaServer.Benchmarks;

/// <summary>
/// Everything the server does with one RTP datagram between recvfrom and sendto: <see cref="PlainRtpEndpoint"/>'s RTP handler
/// (count, source check against the latched address, RFC 3550 validation, RTCP demux) and then the same fan-out as
/// <see cref="FanOutBenchmarks"/>. The endpoint binds real sockets but its receive loop is not started; the handler is called
/// directly, as the loop would, and the slots send through <see cref="NullDatagramSender"/>.
/// </summary>
[MemoryDiagnoser]
public class ReceivePathBenchmarks : IDisposable
{
    private const int PacketLength = 1200;
    private readonly byte[] _packet = new byte[PacketLength];
    private readonly SocketAddress _source = new IPEndPoint(IPAddress.Loopback, 41_000).Serialize();
    private PlainRtpEndpoint? _endpoint;
    private IDatagramHandler _handler = null!;
    private ushort _sequence;
    private uint _timestamp;

    [Params(1, 4, 20)]
    public int Legs { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var metrics = new RelayMetrics();
        var router = new VisitRouter("bench");
        var codecByPayloadType = new MediaCodec[128];
        codecByPayloadType[96] = MediaCodec.Vp8;
        var senderCounters = new PartyCounters(0);
        var track = new Track("kiosk", MediaKind.Video, codecByPayloadType, senderCounters, metrics);
        router.Attach(new RouterParty("kiosk", isKiosk: true, track, null, [], [], senderCounters));
        for (var i = 0; i < Legs; i++)
        {
            var payloadTypes = new byte[MediaCodecs.Count];
            Array.Fill(payloadTypes, MediaCodecs.NoPayloadType);
            payloadTypes[(int)MediaCodec.Vp8] = 100;
            var counters = new PartyCounters(0);
            var id = "visitor" + i;
            var slot = new ReceiverSlot(id, MediaKind.Video, 0, payloadTypes, (uint)(0x1000 + i), new NullDatagramSender(),
                counters, metrics);
            router.Attach(new RouterParty(id, isKiosk: false, null, null, [slot], [], counters));
        }

        // Any free even/odd pair high in the range; the sockets are only held, never read.
        var ports = new PortAllocator(IPAddress.Loopback, 56_000, 56_999);
        var pair = ports.Allocate() ?? throw new InvalidOperationException("No free port pair in 56000-56999.");
        var peer = new PlainRtpPeer(pair, new IPEndPoint(IPAddress.Loopback, 50_000), new IPEndPoint(IPAddress.Loopback, 50_001));
        _endpoint = new PlainRtpEndpoint(pair, peer, IPAddress.Loopback, track, null, track, metrics, NullLogger.Instance);
        // The RTP handler is the endpoint's private per-socket callback; reach it the way the receive loop holds it.
        _handler = (IDatagramHandler)(typeof(PlainRtpEndpoint).GetField("_rtp", BindingFlags.NonPublic | BindingFlags.Instance)?.GetValue(_endpoint)
            ?? throw new InvalidOperationException("PlainRtpEndpoint has no _rtp handler field any more; update this benchmark."));

        var payload = new byte[PacketLength - RtpPacket.FixedHeaderLength];
        new Random(1).NextBytes(payload);
        if (!RtpPacketWriter.TryWrite(_packet, new RtpHeaderFields(false, 96, 0, 0, 0x11223344), payload, out _))
        {
            throw new InvalidOperationException("Could not build the packet.");
        }
        for (var i = 0; i < 16; i++)
        {
            Receive(); // the first one latches the source address (one allocation per leg, by design)
        }
        if (metrics.PacketsOut != 16L * Legs)
        {
            throw new InvalidOperationException($"Expected {16 * Legs} packets out, counted {metrics.PacketsOut}.");
        }
    }

    [Benchmark]
    public void Receive()
    {
        var packet = _packet.AsSpan();
        RtpHeader.SetPayloadType(packet, 96);
        RtpHeader.SetSequenceNumber(packet, ++_sequence);
        RtpHeader.SetTimestamp(packet, _timestamp += 3000);
        RtpHeader.SetSsrc(packet, 0x11223344);
        _handler.OnDatagram(packet, _source);
    }

    [GlobalCleanup]
    public void Cleanup() => Dispose();

    public void Dispose()
    {
        _endpoint?.Dispose();
        _endpoint = null;
        GC.SuppressFinalize(this);
    }
}
