using System.Buffers.Binary;
using System.Diagnostics;
using MediaServer.Codecs.Rtcp;
using MediaServer.Media;
using MediaServer.Metrics;
using MediaServer.Routing;

namespace MediaServer.Tests.Routing;

/// <summary>
/// A receiver's NACKs are answered within bounds (RFC 4585 §6.2.1): a capped number of packets per NACK message, each packet at
/// most once per round trip, from a per-receiver byte budget; and only where the leg negotiated generic NACK.
/// </summary>
public sealed class RetransmitBoundsTests
{
    private const int PayloadLength = 100;
    private const int PacketLength = 12 + PayloadLength;
    private readonly RelayMetrics _metrics = new();
    private readonly RecordingSender _sender = new();

    private sealed class CountingSender : IRtpSender
    {
        public long Sent;
        public ushort? FirstSequence;

        public bool IsReady => true;

        public bool TrySend(ReadOnlySpan<byte> packet)
        {
            FirstSequence ??= MediaServer.Codecs.Rtp.RtpHeader.GetSequenceNumber(packet);
            Sent++;
            return true;
        }
    }

    private (Track Track, ReceiverSlot Slot) Wire(FeedbackPolicy? policy = null, bool answersNacks = true,
        IRtpSender? sender = null)
    {
        var map = new MediaCodec[128];
        map[96] = MediaCodec.Vp8;
        var counters = new PartyCounters(0);
        var track = new Track("kiosk", MediaKind.Video, map, counters, _metrics);
        var slot = new ReceiverSlot("mum", MediaKind.Video, 0, [255, 100, 255, 255], 0xABCD, sender ?? _sender,
            new PartyCounters(0), _metrics)
        {
            AnswersNacks = answersNacks,
            Feedback = policy ?? FeedbackPolicy.Default,
        };
        var router = new VisitRouter("v");
        router.Attach(new RouterParty("kiosk", true, track, null, [], [], counters));
        router.Attach(new RouterParty("mum", false, null, null, [slot], [], new PartyCounters(0)));
        return (track, slot);
    }

    private static void Send(Track track, int count, ushort first = 1000)
    {
        for (var i = 0; i < count; i++)
        {
            var packet = Packets.Rtp(96, (ushort)(first + i), 3000u * (uint)i, 0x1111, PayloadLength);
            track.OnRtp(packet, Packets.Info(packet));
        }
    }

    /// <summary>
    /// A hostile NACK: <paramref name="entries"/> FCI entries whose PIDs walk over the receiver's first
    /// <paramref name="span"/> packets again and again, each with every BLP bit set (17 packets named per entry).
    /// </summary>
    private static byte[] FloodNack(uint mediaSsrc, ushort firstSequence, int span, int entries)
    {
        var packet = new byte[12 + 4 * entries];
        packet[0] = 0x80 | 1; // V=2, FMT=1 generic NACK
        packet[1] = 205; // RTPFB
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)(packet.Length / 4 - 1));
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), 0x5555);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(8), mediaSsrc);
        for (var i = 0; i < entries; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(12 + 4 * i), (ushort)(firstSequence + (i * 17 % span)));
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(14 + 4 * i), 0xFFFF);
        }
        return packet;
    }

    private static FeedbackPolicy Policy(Action<RelayOptions> change)
    {
        var options = new RelayOptions();
        change(options);
        return new FeedbackPolicy(options);
    }

    [Fact]
    public void One_nack_naming_thousands_of_packets_brings_back_at_most_the_cap_and_counts_the_rest()
    {
        var (track, slot) = Wire();
        Send(track, 400);
        var first = RecordingSender.Sequence(_sender.Sent[0]);
        const int Entries = 400; // 6,800 packets named, each of the first 300 about 23 times
        var nack = FloodNack(slot.Ssrc, first, span: 300, Entries);
        var before = _sender.Sent.Count;

        slot.OnRtcp(nack);

        var resent = _sender.Sent.Count - before;
        var cap = FeedbackPolicy.Default.MaxNackPackets;
        Assert.InRange(resent, 1, cap);
        Assert.Equal(resent, slot.Retransmitted);
        Assert.Equal(Entries * 17 - cap, slot.NackOverLimit);
        Assert.Equal(Entries * 17 - cap, _metrics.Drops(DropReason.NackOverLimit));
        Assert.Equal(resent, _metrics.Retransmissions);
        // Within the cap, a packet named twice went once.
        Assert.Equal(cap - resent, slot.NackRepeats);
        var distinct = _sender.Sent.Skip(before).Select(RecordingSender.Sequence).Distinct().Count();
        Assert.Equal(resent, distinct);
    }

    [Fact]
    public void The_same_nack_again_within_the_round_trip_brings_nothing_and_after_it_brings_the_packets_again()
    {
        var (track, slot) = Wire(Policy(o => o.DefaultRtt = TimeSpan.FromMilliseconds(200)));
        Send(track, 50);
        var nack = new byte[64];
        var length = RtcpGenericNack.Write(nack, 0x5555, slot.Ssrc,
            [RecordingSender.Sequence(_sender.Sent[3]), RecordingSender.Sequence(_sender.Sent[4])]);
        var started = Stopwatch.GetTimestamp();
        slot.OnRtcp(nack.AsSpan(0, length));
        Assert.Equal(2, slot.Retransmitted);

        slot.OnRtcp(nack.AsSpan(0, length));
        if (Stopwatch.GetElapsedTime(started) < TimeSpan.FromMilliseconds(200))
        {
            Assert.Equal(2, slot.Retransmitted);
            Assert.Equal(2, slot.NackRepeats);
            Assert.Equal(2, _metrics.Drops(DropReason.NackRepeat));
        }

        SpinWait.SpinUntil(() => Stopwatch.GetElapsedTime(started) > TimeSpan.FromMilliseconds(250));
        var before = slot.Retransmitted;
        slot.OnRtcp(nack.AsSpan(0, length));
        Assert.Equal(before + 2, slot.Retransmitted);
    }

    [Fact]
    public void A_receiver_report_naming_our_sender_report_sets_the_round_trip_and_a_made_up_one_does_not()
    {
        var (track, slot) = Wire();
        Send(track, 5);
        var sentAt = DateTimeOffset.UtcNow - TimeSpan.FromMilliseconds(300);
        var ntp = RtcpReporter.NtpTimestamp(sentAt);
        slot.NoteSenderReport(ntp);
        var buffer = new byte[64];

        // An LSR we never sent: ignored (it could claim any round trip, e.g. 0 to have packets resent at once).
        var forged = RtcpReceiverReport.Write(buffer, 0x5555,
            [new RtcpReportBlock(slot.Ssrc, 0, 0, 0, 0, (uint)(ntp >> 16) + 12345, 0)]);
        slot.OnRtcp(buffer.AsSpan(0, forged));
        Assert.Null(slot.RoundTrip);

        // RFC 3550 §6.4.1: the receiver held our SR for 100 ms (DLSR), so the round trip is about 200 ms.
        var length = RtcpReceiverReport.Write(buffer, 0x5555,
            [new RtcpReportBlock(slot.Ssrc, 0, 0, 0, 0, (uint)(ntp >> 16), 65536 / 10)]);
        slot.OnRtcp(buffer.AsSpan(0, length));
        Assert.NotNull(slot.RoundTrip);
        Assert.InRange(slot.RoundTrip!.Value.TotalMilliseconds, 190, 600);
    }

    [Fact]
    public void The_measured_round_trip_rather_than_the_default_decides_when_a_packet_may_go_again()
    {
        // Default 1 ms; the receiver's report says about 800 ms: 20 ms after the first answer, the same NACK is a repeat.
        var (track, slot) = Wire(Policy(o => o.DefaultRtt = TimeSpan.FromMilliseconds(1)));
        Send(track, 20);
        var ntp = RtcpReporter.NtpTimestamp(DateTimeOffset.UtcNow - TimeSpan.FromMilliseconds(800));
        slot.NoteSenderReport(ntp);
        var buffer = new byte[64];
        var length = RtcpReceiverReport.Write(buffer, 0x5555, [new RtcpReportBlock(slot.Ssrc, 0, 0, 0, 0, (uint)(ntp >> 16), 0)]);
        slot.OnRtcp(buffer.AsSpan(0, length));
        Assert.InRange(slot.RoundTrip!.Value.TotalMilliseconds, 790, 1000);

        var nack = new byte[64];
        var nackLength = RtcpGenericNack.Write(nack, 0x5555, slot.Ssrc, [RecordingSender.Sequence(_sender.Sent[2])]);
        slot.OnRtcp(nack.AsSpan(0, nackLength));
        Thread.Sleep(20);
        slot.OnRtcp(nack.AsSpan(0, nackLength));
        Assert.Equal(1, slot.Retransmitted);
        Assert.Equal(1, slot.NackRepeats);
    }

    [Fact]
    public void The_byte_budget_stops_retransmissions_when_spent_and_counts_them()
    {
        // Room for 13 packets of 112 bytes (1500 / 112), no floor, no share: the rest are refused however they are asked for.
        var (track, slot) = Wire(Policy(o =>
        {
            o.RetransmitBurstBytes = 1500;
            o.RetransmitFloorBitrate = 0;
            o.RetransmitShare = 0;
        }));
        Send(track, 50);
        var lost = Enumerable.Range(0, 20).Select(i => RecordingSender.Sequence(_sender.Sent[i])).ToArray();
        var nack = new byte[64];
        var length = RtcpGenericNack.Write(nack, 0x5555, slot.Ssrc, lost);
        slot.OnRtcp(nack.AsSpan(0, length));
        Assert.Equal(13, slot.Retransmitted);
        Assert.Equal(7, slot.RetransmitBudgetRefused);
        Assert.Equal(7, _metrics.Drops(DropReason.RetransmitBudget));
        Assert.Equal(13L * PacketLength, slot.RetransmittedBytes);
    }

    [Fact]
    public void The_budget_refills_with_a_share_of_what_the_receiver_is_sent()
    {
        var (track, slot) = Wire(Policy(o =>
        {
            o.RetransmitBurstBytes = 1500 * 4;
            o.RetransmitFloorBitrate = 0;
            o.RetransmitShare = 0.5;
        }));
        Send(track, 100);
        var nack = new byte[256];
        var all = Enumerable.Range(0, 60).Select(i => RecordingSender.Sequence(_sender.Sent[i])).ToArray();
        var length = RtcpGenericNack.Write(nack, 0x5555, slot.Ssrc, all);
        slot.OnRtcp(nack.AsSpan(0, length)); // the first look fills the bucket: 6000 bytes, 53 packets
        var spent = slot.Retransmitted;
        Assert.Equal(6000 / PacketLength, spent);

        // 20 more packets sent to the receiver (2000 payload bytes) earn half of that: 1000 bytes, 8 packets of 112.
        Send(track, 20, first: 1100);
        var more = Enumerable.Range(60, 20).Select(i => RecordingSender.Sequence(_sender.Sent[i])).ToArray();
        length = RtcpGenericNack.Write(nack, 0x5555, slot.Ssrc, more);
        slot.OnRtcp(nack.AsSpan(0, length));
        Assert.InRange(slot.Retransmitted - spent, 8, 9);
    }

    [Fact]
    public void A_leg_that_did_not_negotiate_nack_gets_no_retransmission_and_the_nack_is_counted()
    {
        var (track, slot) = Wire(answersNacks: false);
        Send(track, 20);
        slot.OnRtcp(FloodNack(slot.Ssrc, RecordingSender.Sequence(_sender.Sent[0]), span: 20, entries: 10));
        Assert.Equal(20, _sender.Sent.Count);
        Assert.Equal(0, slot.Retransmitted);
        Assert.Equal(1, _metrics.Drops(DropReason.NackNotNegotiated));
    }

    [Fact]
    public void Answers_nack_is_off_unless_the_join_says_so()
    {
        var slot = new ReceiverSlot("mum", MediaKind.Video, 0, [255, 100, 255, 255], 1, _sender,
            new PartyCounters(0), _metrics);
        Assert.False(slot.AnswersNacks);
    }

    [Fact]
    public void A_keyframe_resend_after_pli_is_refused_once_the_budget_is_overdrawn()
    {
        var (track, slot) = Wire(Policy(o =>
        {
            o.RetransmitBurstBytes = 1500;
            o.RetransmitFloorBitrate = 0;
            o.RetransmitShare = 0;
        }));
        // A keyframe (VP8 P bit clear) spanning 30 packets, then interframes.
        for (var i = 0; i < 40; i++)
        {
            var payload = new byte[PayloadLength];
            payload[0] = (byte)(i == 0 ? 0x10 : 0x00);
            payload[1] = (byte)(i == 0 ? 0x00 : 0x01);
            var buffer = new byte[12 + PayloadLength];
            Assert.True(MediaServer.Codecs.Rtp.RtpPacketWriter.TryWrite(buffer,
                new MediaServer.Codecs.Rtp.RtpHeaderFields(false, 96, (ushort)(7 + i), 0, 0x1111), payload, out _));
            track.OnRtp(buffer, Packets.Info(buffer));
        }
        var pli = new byte[RtcpPli.Length];
        RtcpPli.Write(pli, 0x5555, slot.Ssrc);
        slot.OnRtcp(pli);
        var resent = slot.Retransmitted;
        Assert.Equal(40, resent); // the keyframe goes whole, overdrawing the budget

        Thread.Sleep(600); // past the 500 ms keyframe throttle
        slot.OnRtcp(pli);
        Assert.Equal(resent, slot.Retransmitted);
        Assert.Equal(1, slot.RetransmitBudgetRefused);
    }

    [Fact]
    public void Answering_nacks_allocates_nothing()
    {
        // A sender that keeps no copies (the recording one allocates), and a share that pays for every resend.
        var sender = new CountingSender();
        var (track, slot) = Wire(Policy(o => o.RetransmitShare = 10), sender: sender);
        Send(track, 400);
        var hostile = FloodNack(slot.Ssrc, sender.FirstSequence!.Value, span: 300, entries: 400);
        var receiverReport = new byte[64];
        var rrLength = RtcpReceiverReport.Write(receiverReport, 0x5555, [new RtcpReportBlock(slot.Ssrc, 0, 0, 0, 0, 1, 0)]);
        for (var i = 0; i < 10; i++)
        {
            slot.OnRtcp(hostile);
            slot.OnRtcp(receiverReport.AsSpan(0, rrLength));
        }
        // Up to three windows of 1,000 rounds, one of which must allocate nothing: an allocation per NACK or report shows in
        // every window, while the runtime's own one-off work on this thread (a method promoted to its next tier while a loaded
        // machine runs the test slowly) shows in one at most.
        var windows = new List<long>();
        for (var window = 0; window < 3 && (windows.Count == 0 || windows[^1] != 0); window++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1000; i++)
            {
                slot.OnRtcp(hostile);
                slot.OnRtcp(receiverReport.AsSpan(0, rrLength));
            }
            windows.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(windows[^1] == 0, "bytes allocated per window of 1,000 rounds: " + string.Join(", ", windows));
        Assert.True(slot.Retransmitted >= 64);
        Assert.True(slot.NackOverLimit > 0);
    }

    [Fact]
    public void Options_out_of_range_are_named()
    {
        Assert.Null(new RelayOptions().Problem());
        Assert.Contains("MaxNackPackets", new RelayOptions { MaxNackPackets = 0 }.Problem(), StringComparison.Ordinal);
        Assert.Contains("DefaultRtt", new RelayOptions { DefaultRtt = TimeSpan.Zero }.Problem(), StringComparison.Ordinal);
        Assert.Contains("RetransmitShare", new RelayOptions { RetransmitShare = double.NaN }.Problem(), StringComparison.Ordinal);
        Assert.Contains("RetransmitBurstBytes", new RelayOptions { RetransmitBurstBytes = 10 }.Problem(), StringComparison.Ordinal);
        Assert.Contains("MinRembBitrate", new RelayOptions { MinRembBitrate = -1 }.Problem(), StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new FeedbackPolicy(new RelayOptions { MaxNackPackets = -5 }));
    }
}
