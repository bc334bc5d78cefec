using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using MediaServer.Codecs.Rtp;
using MediaServer.Media;
using MediaServer.Metrics;
using MediaServer.Recording;
using MediaServer.Recording.Journal;
using MediaServer.Routing;

namespace MediaServer.Benchmarks;

/// <summary>
/// What recording costs. <see cref="RelayRecorded"/> is the relay path of <see cref="FanOutBenchmarks"/> (one 1200-byte video
/// packet to four legs) with the track journaled: the copy into the visit's buffer happens on the packet path and must
/// allocate nothing. <see cref="WriterBatch"/> is the writer thread's side for 1000 such packets: framing, CRC-32, the SHA-256
/// chain, a checkpoint and the write() to a real file (no fsync; that is once per 500 ms in the server).
/// </summary>
[MemoryDiagnoser]
public class RecordingBenchmarks
{
    private const int PacketLength = 1200;
    private readonly byte[] _packet = new byte[PacketLength];
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "recording-bench", Guid.NewGuid().ToString("n"));
    private Track _recordedTrack = null!;
    private Track _plainTrack = null!;
    private VisitRecorder _relayRecorder = null!;
    private VisitRecorder _writerRecorder = null!;
    private uint _writerTrack;
    private ushort _sequence;
    private uint _timestamp;
    private int _sinceDrain;

    [GlobalSetup]
    public void Setup()
    {
        _relayRecorder = VisitRecorder.Create("bench-relay", Path.Combine(_directory, "relay"), 64 << 20, TimeSpan.FromHours(1));
        _writerRecorder = VisitRecorder.Create("bench-writer", Path.Combine(_directory, "writer"), 64 << 20, TimeSpan.FromHours(1));
        _writerTrack = _writerRecorder.AddTrack(new { participant = "kiosk" });
        _recordedTrack = BuildTrack();
        _plainTrack = BuildTrack();
        _recordedTrack.Journal = new TrackJournal(_relayRecorder, _relayRecorder.AddTrack(new { participant = "kiosk" }));
        var payload = new byte[PacketLength - RtpPacket.FixedHeaderLength];
        new Random(1).NextBytes(payload);
        if (!RtpPacketWriter.TryWrite(_packet, new RtpHeaderFields(false, 96, 0, 0, 0x11223344), payload, out _))
        {
            throw new InvalidOperationException("Could not build the packet.");
        }
        for (var i = 0; i < 16; i++)
        {
            RelayRecorded();
            RelayUnrecorded();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _relayRecorder.Dispose();
        _writerRecorder.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static Track BuildTrack()
    {
        var metrics = new RelayMetrics();
        var router = new VisitRouter("bench");
        var codecByPayloadType = new MediaCodec[128];
        codecByPayloadType[96] = MediaCodec.Vp8;
        var senderCounters = new PartyCounters(0);
        var track = new Track("kiosk", MediaKind.Video, codecByPayloadType, senderCounters, metrics);
        router.Attach(new RouterParty("kiosk", isKiosk: true, track, null, [], [], senderCounters));
        for (var i = 0; i < 4; i++)
        {
            var payloadTypes = new byte[MediaCodecs.Count];
            Array.Fill(payloadTypes, MediaCodecs.NoPayloadType);
            payloadTypes[(int)MediaCodec.Vp8] = 100;
            var counters = new PartyCounters(0);
            var slot = new ReceiverSlot("visitor" + i, MediaKind.Video, 0, payloadTypes, (uint)(0x1000 + i), new NullDatagramSender(), counters, metrics);
            router.Attach(new RouterParty("visitor" + i, isKiosk: false, null, null, [slot], [], counters));
        }
        return track;
    }

    [Benchmark(Baseline = true)]
    public void RelayUnrecorded() => Relay(_plainTrack);

    [Benchmark]
    public void RelayRecorded()
    {
        Relay(_recordedTrack);
        if (++_sinceDrain == 8192)
        {
            // The writer's swap, without its I/O: keeps the buffer from filling (a full buffer drops, which is cheaper).
            _sinceDrain = 0;
            _relayRecorder.Buffer.Swap();
        }
    }

    [Benchmark(OperationsPerInvoke = 1000)]
    public void WriterBatch()
    {
        var packet = _packet.AsSpan();
        var now = Stopwatch.GetTimestamp();
        for (var i = 0; i < 1000; i++)
        {
            RtpHeader.SetSequenceNumber(packet, ++_sequence);
            _writerRecorder.OnRtp(_writerTrack, packet, now);
        }
        _writerRecorder.WriteOnce(now);
    }

    private void Relay(Track track)
    {
        var packet = _packet.AsSpan();
        var sequence = ++_sequence;
        var timestamp = _timestamp += 3000;
        RtpHeader.SetPayloadType(packet, 96);
        RtpHeader.SetSequenceNumber(packet, sequence);
        RtpHeader.SetTimestamp(packet, timestamp);
        RtpHeader.SetSsrc(packet, 0x11223344);
        track.OnRtp(packet, new RtpHeaderInfo(sequence, timestamp, 0x11223344, 96, false, RtpPacket.FixedHeaderLength));
    }
}
