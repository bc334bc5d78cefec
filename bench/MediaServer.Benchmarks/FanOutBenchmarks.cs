using BenchmarkDotNet.Attributes;
using MediaServer.Codecs.Rtp;
using MediaServer.Media;
using MediaServer.Metrics;
using MediaServer.Routing;

namespace MediaServer.Benchmarks;

/// <summary>
/// One video packet in, <see cref="Legs"/> out: the router's steady-state path from <see cref="Track.OnRtp"/> through every
/// <see cref="ReceiverSlot"/> (rewrite in place, count, send), with the sockets replaced by <see cref="NullDatagramSender"/>.
/// The design's hot-path rule is no allocation per packet, so Allocated must read 0 B (or "-").
/// </summary>
[MemoryDiagnoser]
public class FanOutBenchmarks
{
    private const int PacketLength = 1200;
    private readonly byte[] _packet = new byte[PacketLength];
    private Track _track = null!;
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
        _track = new Track("kiosk", MediaKind.Video, codecByPayloadType, senderCounters, metrics);
        router.Attach(new RouterParty("kiosk", isKiosk: true, _track, null, [], [], senderCounters));

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

        if (_track.Subscribers.Length != Legs)
        {
            throw new InvalidOperationException($"The router gave the track {_track.Subscribers.Length} subscribers, not {Legs}.");
        }

        var payload = new byte[PacketLength - RtpPacket.FixedHeaderLength];
        new Random(1).NextBytes(payload);
        if (!RtpPacketWriter.TryWrite(_packet, new RtpHeaderFields(false, 96, 0, 0, 0x11223344), payload, out _))
        {
            throw new InvalidOperationException("Could not build the packet.");
        }

        // Leave first-packet bookkeeping (rebase, the "visit went live" callback) out of the measured steady state.
        for (var i = 0; i < 16; i++)
        {
            Relay();
        }
        if (metrics.PacketsOut != 16L * Legs)
        {
            throw new InvalidOperationException($"Expected {16 * Legs} packets out, counted {metrics.PacketsOut}.");
        }
    }

    [Benchmark]
    public void Relay()
    {
        // A fresh packet as the receive loop would hand it over: the previous iteration's slots rewrote the header in place.
        var packet = _packet.AsSpan();
        var sequence = ++_sequence;
        var timestamp = _timestamp += 3000;
        RtpHeader.SetPayloadType(packet, 96);
        RtpHeader.SetSequenceNumber(packet, sequence);
        RtpHeader.SetTimestamp(packet, timestamp);
        RtpHeader.SetSsrc(packet, 0x11223344);
        _track.OnRtp(packet, new RtpHeaderInfo(sequence, timestamp, 0x11223344, 96, false, RtpPacket.FixedHeaderLength));
    }
}
