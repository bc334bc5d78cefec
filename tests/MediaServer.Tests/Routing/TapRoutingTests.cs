using MediaServer.Codecs.Rtcp;
using MediaServer.Media;
using MediaServer.Metrics;
using MediaServer.Routing;

namespace MediaServer.Tests.Routing;

/// <summary>Taps are hidden receivers: filled like a party's slots, invisible to the parties' own routing.</summary>
public sealed class TapRoutingTests
{
    private readonly RelayMetrics _metrics = new();

    private sealed class CountingKeyframeSource : IKeyframeSource
    {
        public int Requests;

        public void RequestKeyframe(uint mediaSsrc) => Interlocked.Increment(ref Requests);
    }

    /// <summary>A way out that is not up yet: slots given a source then do not ask for a keyframe on their own.</summary>
    private sealed class NotReadySender : IRtpSender
    {
        public bool IsReady => false;

        public bool TrySend(ReadOnlySpan<byte> packet) => false;
    }

    private RouterParty Party(string id, bool kiosk, int slotPairs, bool publishes = true, bool hidden = false, bool ready = true,
        IKeyframeSource? keyframes = null)
    {
        var counters = new PartyCounters(0);
        var vp8 = new MediaCodec[128];
        vp8[96] = MediaCodec.Vp8;
        var opus = new MediaCodec[128];
        opus[111] = MediaCodec.Opus;
        var video = publishes ? new Track(id, MediaKind.Video, vp8, counters, _metrics) { KeyframeSource = keyframes } : null;
        var audio = publishes ? new Track(id, MediaKind.Audio, opus, counters, _metrics) : null;
        ReceiverSlot Slot(MediaKind kind, int index) => new(id, kind, index,
            [255, kind == MediaKind.Video ? (byte)96 : (byte)255, 255, kind == MediaKind.Audio ? (byte)111 : (byte)255],
            (uint)(index + 1), ready ? new RecordingSender() : new NotReadySender(), counters, _metrics) { Hidden = hidden };
        var videoSlots = Enumerable.Range(0, slotPairs).Select(i => Slot(MediaKind.Video, i)).ToList();
        var audioSlots = Enumerable.Range(0, slotPairs).Select(i => Slot(MediaKind.Audio, i)).ToList();
        return new RouterParty(id, kiosk, video, audio, videoSlots, audioSlots, counters);
    }

    private RouterParty Tap(string id, int slotPairs, bool ready = true) =>
        Party("tap:" + id, kiosk: false, slotPairs, publishes: false, hidden: true, ready: ready);

    private static string Sources(RouterParty party, MediaKind kind) =>
        string.Join(",", party.SlotsOf(kind).Select(s => s.Source?.ParticipantId ?? "-"));

    /// <summary>Every party's slots and the participants among every track's subscribers, to compare with and without taps.</summary>
    private static string Routing(params RouterParty[] parties) => string.Join(" | ", parties.Select(p =>
        $"{p.ParticipantId}: v[{Sources(p, MediaKind.Video)}] a[{Sources(p, MediaKind.Audio)}] "
        + $"subs v[{Subscribers(p.Video)}] a[{Subscribers(p.Audio)}]"));

    private static string Subscribers(Track? track) =>
        track is null ? "" : string.Join(",", track.Subscribers.ToArray().Where(s => !s.Hidden).Select(s => s.OwnerParticipantId + "#" + s.Index));

    [Fact]
    public void A_tap_gets_the_kiosk_then_visitors_in_join_order_and_the_parties_routing_is_unchanged()
    {
        var router = new VisitRouter("v");
        var first = Party("v1", kiosk: false, slotPairs: 2);
        var kiosk = Party("inmate", kiosk: true, slotPairs: 2);
        var second = Party("v2", kiosk: false, slotPairs: 2);
        router.Attach(first);
        router.Attach(kiosk);
        router.Attach(second);
        var before = Routing(first, kiosk, second);

        var tap = Tap("t1", slotPairs: 3);
        router.AttachTap(tap);

        Assert.Equal("inmate,v1,v2", Sources(tap, MediaKind.Video));
        Assert.Equal("inmate,v1,v2", Sources(tap, MediaKind.Audio));
        // The parties' own slot assignment is untouched; the tap is not a party.
        Assert.Equal(3, router.PartyCount);
        Assert.DoesNotContain(router.Parties, p => p.ParticipantId.StartsWith("tap:", StringComparison.Ordinal));
        Assert.Equal(1, router.TapCount);
        // Each track forwards to the parties first, then to the tap.
        var subscribers = kiosk.Video!.Subscribers.ToArray();
        Assert.Same(tap.VideoSlots[0], subscribers[^1]);
        Assert.All(subscribers[..^1], s => Assert.False(s.Hidden));

        router.DetachTap(tap);
        Assert.Equal(before, Routing(first, kiosk, second));
        Assert.Equal("-,-,-", Sources(tap, MediaKind.Video));
        Assert.Equal(0, router.TapCount);
    }

    [Fact]
    public void A_tap_with_one_slot_per_kind_gets_the_kiosk_even_when_a_visitor_joined_first()
    {
        var router = new VisitRouter("v");
        var tap = Tap("whep", slotPairs: 1);
        router.AttachTap(tap);
        var visitor = Party("v1", kiosk: false, slotPairs: 1);
        router.Attach(visitor);
        Assert.Equal("v1", Sources(tap, MediaKind.Video));
        var kiosk = Party("inmate", kiosk: true, slotPairs: 1);
        router.Attach(kiosk);
        Assert.Equal("inmate", Sources(tap, MediaKind.Video));
        Assert.Equal("inmate", Sources(tap, MediaKind.Audio));
        Assert.Equal("v1", Sources(kiosk, MediaKind.Video));
        Assert.Equal("inmate", Sources(visitor, MediaKind.Video));
    }

    [Fact]
    public void Parties_routing_is_the_same_with_and_without_taps_when_slots_run_short()
    {
        RouterParty[] Build(VisitRouter router, bool withTaps)
        {
            var kiosk = Party("inmate", kiosk: true, slotPairs: 1);
            var first = Party("v1", kiosk: false, slotPairs: 1);
            var second = Party("v2", kiosk: false, slotPairs: 2);
            if (withTaps)
            {
                router.AttachTap(Tap("a", 1));
                router.AttachTap(Tap("b", 4));
            }
            router.Attach(second);
            router.Attach(first);
            router.Attach(kiosk);
            router.Detach(first);
            router.Attach(Party("v1", kiosk: false, slotPairs: 1));
            return [kiosk, second];
        }
        var plain = Build(new VisitRouter("v"), withTaps: false);
        var tapped = Build(new VisitRouter("v"), withTaps: true);
        Assert.Equal(Routing(plain), Routing(tapped));
        Assert.Contains(tapped[0].Video!.Subscribers.ToArray(), s => s.Hidden);
    }

    [Fact]
    public void A_taps_bandwidth_estimate_never_reaches_senders_but_its_keyframe_request_does()
    {
        // Senders not ready: no slot asks for a keyframe by itself when it gets its source, so every request below is the PLI's.
        var router = new VisitRouter("v");
        var keyframes = new CountingKeyframeSource();
        var kiosk = Party("inmate", kiosk: true, slotPairs: 1, ready: false, keyframes: keyframes);
        router.Attach(kiosk);
        var visitor = Party("v1", kiosk: false, slotPairs: 1, ready: false);
        router.Attach(visitor);
        var tap = Tap("t", slotPairs: 1, ready: false);
        router.AttachTap(tap);
        var packet = Packets.Rtp(96, 1, 3000, 0x1111);
        kiosk.Video!.OnRtp(packet, Packets.Info(packet));
        var slot = tap.VideoSlots[0];
        Assert.Same(kiosk.Video, slot.Source);

        var remb = new byte[64];
        var length = RtcpRemb.Write(remb, 0x5555, 50_000, [slot.Ssrc]);
        slot.OnRtcp(remb.AsSpan(0, length));
        Assert.Null(slot.EstimatedBitrate(System.Diagnostics.Stopwatch.GetTimestamp()));
        // The same REMB from a participant's slot is taken (the contrast that shows the tap's was ignored, not lost).
        var visitorSlot = visitor.VideoSlots[0];
        length = RtcpRemb.Write(remb, 0x5555, 50_000, [visitorSlot.Ssrc]);
        visitorSlot.OnRtcp(remb.AsSpan(0, length));
        Assert.Equal(50_000, visitorSlot.EstimatedBitrate(System.Diagnostics.Stopwatch.GetTimestamp()));

        Assert.Equal(0, Volatile.Read(ref keyframes.Requests));
        var pli = new byte[RtcpPli.Length];
        RtcpPli.Write(pli, 0x5555, slot.Ssrc);
        slot.OnRtcp(pli);
        Assert.Equal(1, Volatile.Read(ref keyframes.Requests));
    }

    [Fact]
    public void Detaching_everything_silences_the_taps_too()
    {
        var router = new VisitRouter("v");
        var kiosk = Party("inmate", kiosk: true, slotPairs: 1);
        router.Attach(kiosk);
        var tap = Tap("t", slotPairs: 1);
        router.AttachTap(tap);
        Assert.Equal("inmate", Sources(tap, MediaKind.Video));
        router.DetachAll();
        Assert.Equal("-", Sources(tap, MediaKind.Video));
        Assert.Equal(0, router.TapCount);
        Assert.Empty(kiosk.Video!.Subscribers.ToArray());
    }
}
