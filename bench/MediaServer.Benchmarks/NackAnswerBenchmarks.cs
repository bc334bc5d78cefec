using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using MediaServer.Codecs.Rtcp;
using MediaServer.Codecs.Rtp;
using MediaServer.Media;
using MediaServer.Metrics;
using MediaServer.Routing;

namespace MediaServer.Benchmarks;

/// <summary>
/// A receiver's NACK answered from the track's cache (<see cref="ReceiverSlot.OnRtcp"/>), within the bounds of
/// <see cref="FeedbackPolicy"/>. <see cref="HostileNack"/>: one 1,612-byte NACK naming 6,800 packets, in the steady state where
/// the packets it can bring were resent less than a round trip ago (cap, repeats, budget: what an attacker's flood costs).
/// <see cref="RelayAndResend"/>: a packet relayed to one receiver, which NACKs it at once and gets it again (the resend path).
/// Neither may allocate.
/// </summary>
[MemoryDiagnoser]
public class NackAnswerBenchmarks
{
    private const int PacketLength = 1200;
    private readonly byte[] _packet = new byte[PacketLength];
    private readonly byte[] _hostile = new byte[12 + 4 * 400];
    private readonly byte[] _single = new byte[16];
    private Track _track = null!;
    private ReceiverSlot _slot = null!;
    private LastSequenceSender _sender = null!;
    private ushort _sequence;
    private uint _timestamp;

    private sealed class LastSequenceSender : IRtpSender
    {
        public ushort LastSequence;
        public long Sent;

        public bool IsReady => true;

        public bool TrySend(ReadOnlySpan<byte> packet)
        {
            LastSequence = RtpHeader.GetSequenceNumber(packet);
            Sent++;
            return true;
        }
    }

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
        var payloadTypes = new byte[MediaCodecs.Count];
        Array.Fill(payloadTypes, MediaCodecs.NoPayloadType);
        payloadTypes[(int)MediaCodec.Vp8] = 100;
        _sender = new LastSequenceSender();
        var counters = new PartyCounters(0);
        // A share of 2 earns each relayed packet's resend, so the resend path is measured rather than the budget's refusal.
        _slot = new ReceiverSlot("visitor", MediaKind.Video, 0, payloadTypes, 0x1000, _sender,
            counters, metrics)
        {
            AnswersNacks = true,
            Feedback = new FeedbackPolicy(new RelayOptions { RetransmitShare = 2 }),
        };
        router.Attach(new RouterParty("visitor", isKiosk: false, null, null, [_slot], [], counters));

        var payload = new byte[PacketLength - RtpPacket.FixedHeaderLength];
        new Random(1).NextBytes(payload);
        payload[0] = 0x10;
        payload[1] = 0x01; // VP8 interframe: no keyframe bookkeeping
        if (!RtpPacketWriter.TryWrite(_packet, new RtpHeaderFields(false, 96, 0, 0, 0x11223344), payload, out _))
        {
            throw new InvalidOperationException("Could not build the packet.");
        }
        for (var i = 0; i < 600; i++)
        {
            Relay();
        }
        var first = (ushort)(_sender.LastSequence - 300);
        _hostile[0] = 0x80 | 1;
        _hostile[1] = 205;
        BinaryPrimitives.WriteUInt16BigEndian(_hostile.AsSpan(2), (ushort)(_hostile.Length / 4 - 1));
        BinaryPrimitives.WriteUInt32BigEndian(_hostile.AsSpan(8), _slot.Ssrc);
        for (var i = 0; i < 400; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(_hostile.AsSpan(12 + 4 * i), (ushort)(first + (i * 17 % 300)));
            BinaryPrimitives.WriteUInt16BigEndian(_hostile.AsSpan(14 + 4 * i), 0xFFFF);
        }
        if (!RtcpGenericNack.TryParse(_hostile, out _))
        {
            throw new InvalidOperationException("Could not build the hostile NACK.");
        }
        HostileNack();
        RelayAndResend();
        if (_slot.Retransmitted == 0)
        {
            throw new InvalidOperationException("Nothing was resent.");
        }
    }

    private void Relay()
    {
        var packet = _packet.AsSpan();
        var sequence = ++_sequence;
        var timestamp = _timestamp += 3000;
        RtpHeader.SetPayloadType(packet, 96);
        RtpHeader.SetSequenceNumber(packet, sequence);
        RtpHeader.SetTimestamp(packet, timestamp);
        RtpHeader.SetSsrc(packet, 0x11223344);
        _track.OnRtp(packet, new RtpHeaderInfo(sequence, timestamp, 0x11223344, 96, false, RtpPacket.FixedHeaderLength));
    }

    [Benchmark]
    public long HostileNack()
    {
        _slot.OnRtcp(_hostile);
        return _slot.NackOverLimit;
    }

    [Benchmark]
    public long RelayAndResend()
    {
        Relay();
        var length = RtcpGenericNack.Write(_single, 0x5555, _slot.Ssrc, [_sender.LastSequence]);
        _slot.OnRtcp(_single.AsSpan(0, length));
        return _slot.Retransmitted;
    }
}
