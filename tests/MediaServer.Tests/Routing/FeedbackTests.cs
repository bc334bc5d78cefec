using MediaServer.Codecs.Rtcp;
using MediaServer.Media;
using MediaServer.Metrics;
using MediaServer.Routing;

namespace MediaServer.Tests.Routing;

public sealed class FeedbackTests
{
    private sealed class CountingKeyframeSource : IKeyframeSource
    {
        public List<uint> Requests { get; } = [];

        public void RequestKeyframe(uint mediaSsrc)
        {
            lock (Requests)
            {
                Requests.Add(mediaSsrc);
            }
        }
    }

    private readonly RelayMetrics _metrics = new();
    private readonly RecordingSender _sender = new();
    private readonly CountingKeyframeSource _keyframes = new();

    private (Track Track, ReceiverSlot Slot) Wire(TimeSpan? keyframeInterval = null)
    {
        var map = new MediaCodec[128];
        map[96] = MediaCodec.Vp8;
        var counters = new PartyCounters(0);
        var track = new Track("kiosk", MediaKind.Video, map, counters, _metrics, keyframeInterval) { KeyframeSource = _keyframes };
        var slot = new ReceiverSlot("mum", MediaKind.Video, 0, [255, 100, 255, 255], 0xABCD, _sender,
            new PartyCounters(0), _metrics)
        { AnswersNacks = true }; // as for a leg that negotiated a=rtcp-fb nack
        var router = new VisitRouter("v");
        router.Attach(new RouterParty("kiosk", true, track, null, [], [], counters));
        router.Attach(new RouterParty("mum", false, null, null, [slot], [], new PartyCounters(0)));
        return (track, slot);
    }

    private static void Send(Track track, ushort seq, uint ts, uint ssrc = 0x1111)
    {
        var packet = Packets.Rtp(96, seq, ts, ssrc);
        track.OnRtp(packet, Packets.Info(packet));
    }

    [Fact]
    public void A_nack_is_answered_from_the_cache_with_the_packet_as_first_forwarded()
    {
        var (track, slot) = Wire();
        for (ushort i = 0; i < 20; i++)
        {
            Send(track, (ushort)(500 + i), 9000u * i);
        }
        var forwarded = _sender.Sent[7];
        var lost = RecordingSender.Sequence(forwarded);
        var nack = new byte[64];
        var length = RtcpGenericNack.Write(nack, 0x5555, slot.Ssrc, [lost]);
        slot.OnRtcp(nack.AsSpan(0, length));
        Assert.Equal(21, _sender.Sent.Count);
        Assert.Equal(forwarded, _sender.Sent[20]);
        Assert.Equal(1, slot.Retransmitted);
    }

    [Fact]
    public void A_nack_for_a_packet_long_gone_is_counted_not_answered()
    {
        var (track, slot) = Wire();
        for (var i = 0; i < 600; i++)
        {
            Send(track, (ushort)i, 3000u * (uint)i);
        }
        var first = RecordingSender.Sequence(_sender.Sent[0]);
        var nack = new byte[64];
        var length = RtcpGenericNack.Write(nack, 0x5555, slot.Ssrc, [first]);
        slot.OnRtcp(nack.AsSpan(0, length));
        Assert.Equal(600, _sender.Sent.Count);
        Assert.Equal(1, slot.NacksUnanswered);
    }

    [Fact]
    public void A_nack_for_another_ssrc_is_ignored()
    {
        var (track, slot) = Wire();
        Send(track, 1, 0);
        var nack = new byte[64];
        var length = RtcpGenericNack.Write(nack, 0x5555, slot.Ssrc + 1, [RecordingSender.Sequence(_sender.Sent[0])]);
        slot.OnRtcp(nack.AsSpan(0, length));
        Assert.Single(_sender.Sent);
    }

    [Fact]
    public void Pli_and_fir_from_a_receiver_reach_the_sender_with_the_senders_own_ssrc()
    {
        var (track, slot) = Wire(TimeSpan.Zero);
        Send(track, 1, 0, ssrc: 0x7777);
        var pli = new byte[RtcpPli.Length];
        RtcpPli.Write(pli, 0x5555, slot.Ssrc);
        var fir = new byte[64];
        var firLength = RtcpFir.Write(fir, 0x5555, [new RtcpFirEntry(slot.Ssrc, 1)]);
        var before = track.KeyframeRequests;
        slot.OnRtcp(pli);
        slot.OnRtcp(fir.AsSpan(0, firLength));
        // Two from the feedback; a third may come from the request the router queued when the slot got its source.
        Assert.InRange(track.KeyframeRequests - before, 2, 3);
        lock (_keyframes.Requests)
        {
            Assert.All(_keyframes.Requests, ssrc => Assert.Equal(0x7777u, ssrc));
        }
    }

    [Fact]
    public void Keyframe_requests_within_the_interval_are_merged()
    {
        var (track, _) = Wire(TimeSpan.FromHours(1));
        Send(track, 1, 0);
        track.RequestKeyframe();
        track.RequestKeyframe();
        track.RequestKeyframe();
        Assert.Equal(1, track.KeyframeRequests);
    }

    [Fact]
    public void No_keyframe_request_goes_out_before_the_sender_has_sent_anything()
    {
        var (track, _) = Wire(TimeSpan.Zero);
        track.RequestKeyframe();
        Assert.Equal(0, track.KeyframeRequests);
    }

    [Fact]
    public void The_cache_refuses_a_slot_that_was_overwritten()
    {
        var cache = new PacketCache(4);
        cache.Store(Packets.Rtp(96, 1, 0, 42), 1);
        cache.Store(Packets.Rtp(96, 5, 0, 42), 5); // same slot as 1 (capacity 4)
        var buffer = new byte[1500];
        Assert.Equal(0, cache.TryCopy(1, 42, buffer));
        Assert.True(cache.TryCopy(5, 42, buffer) > 0);
        Assert.Equal(0, cache.TryCopy(5, 43, buffer));
    }
}
