using MediaServer.Media;
using MediaServer.Metrics;
using MediaServer.Routing;

namespace MediaServer.Tests.Routing;

public sealed class VisitRouterTests
{
    private readonly RelayMetrics _metrics = new();

    private RouterParty Party(string id, bool kiosk, int slotPairs, bool publishes = true)
    {
        var counters = new PartyCounters(0);
        var vp8 = new MediaCodec[128];
        vp8[96] = MediaCodec.Vp8;
        var opus = new MediaCodec[128];
        opus[111] = MediaCodec.Opus;
        var video = publishes ? new Track(id, MediaKind.Video, vp8, counters, _metrics) : null;
        var audio = publishes ? new Track(id, MediaKind.Audio, opus, counters, _metrics) : null;
        ReceiverSlot Slot(MediaKind kind, int index) => new(id, kind, index,
            [255, kind == MediaKind.Video ? (byte)96 : (byte)255, 255, kind == MediaKind.Audio ? (byte)111 : (byte)255],
            (uint)(index + 1), new RecordingSender(), counters, _metrics);
        var videoSlots = Enumerable.Range(0, slotPairs).Select(i => Slot(MediaKind.Video, i)).ToList();
        var audioSlots = Enumerable.Range(0, slotPairs).Select(i => Slot(MediaKind.Audio, i)).ToList();
        return new RouterParty(id, kiosk, video, audio, videoSlots, audioSlots, counters);
    }

    /// <summary>Who each slot of a kind carries, in slot order ("-" for nobody).</summary>
    private static string Sources(RouterParty party, MediaKind kind) =>
        string.Join(",", party.SlotsOf(kind).Select(s => s.Source?.ParticipantId ?? "-"));

    private static string SortedSources(RouterParty party, MediaKind kind) =>
        string.Join(",", party.SlotsOf(kind).Select(s => s.Source?.ParticipantId ?? "-").Order(StringComparer.Ordinal));

    [Fact]
    public void Two_parties_receive_each_other_and_never_themselves()
    {
        var router = new VisitRouter("v");
        var kiosk = Party("inmate", kiosk: true, slotPairs: 1);
        var visitor = Party("mum", kiosk: false, slotPairs: 1);
        router.Attach(visitor);
        router.Attach(kiosk);
        Assert.Equal("mum", Sources(kiosk, MediaKind.Video));
        Assert.Equal("mum", Sources(kiosk, MediaKind.Audio));
        Assert.Equal("inmate", Sources(visitor, MediaKind.Video));
        Assert.Equal("inmate", Sources(visitor, MediaKind.Audio));
        Assert.Equal(visitor.VideoSlots[0], Assert.Single(kiosk.Video!.Subscribers.ToArray()));
    }

    [Fact]
    public void Slots_fill_kiosk_first_then_visitors_in_join_order()
    {
        var router = new VisitRouter("v");
        var first = Party("v1", kiosk: false, slotPairs: 2);
        var second = Party("v2", kiosk: false, slotPairs: 2);
        var kiosk = Party("inmate", kiosk: true, slotPairs: 2);
        router.Attach(first);
        router.Attach(second);
        router.Attach(kiosk);
        Assert.Equal("v1,v2", Sources(kiosk, MediaKind.Video));
        // v2 had its first slot given to v1 before the kiosk came; the kiosk takes the free one. No slot carries its owner.
        Assert.DoesNotContain("v2", Sources(second, MediaKind.Video), StringComparison.Ordinal);
        Assert.Equal("inmate,v2", SortedSources(first, MediaKind.Video));
        Assert.Equal("inmate,v1", SortedSources(second, MediaKind.Audio));
    }

    [Fact]
    public void A_party_joining_before_the_kiosk_gets_the_kiosk_in_its_first_slot_when_it_was_free()
    {
        var router = new VisitRouter("v");
        var kiosk = Party("inmate", kiosk: true, slotPairs: 2);
        var first = Party("v1", kiosk: false, slotPairs: 2);
        var second = Party("v2", kiosk: false, slotPairs: 2);
        router.Attach(kiosk);
        router.Attach(first);
        router.Attach(second);
        Assert.Equal("inmate,v2", Sources(first, MediaKind.Video));
        Assert.Equal("inmate,v1", Sources(second, MediaKind.Video));
        Assert.Equal("v1,v2", Sources(kiosk, MediaKind.Video));
    }

    [Fact]
    public void A_rejoining_party_lands_in_the_slot_it_had()
    {
        var router = new VisitRouter("v");
        var kiosk = Party("inmate", kiosk: true, slotPairs: 2);
        var first = Party("v1", kiosk: false, slotPairs: 2);
        var second = Party("v2", kiosk: false, slotPairs: 2);
        router.Attach(kiosk);
        router.Attach(first);
        router.Attach(second);
        router.Detach(first);
        Assert.Equal("-,v2", Sources(kiosk, MediaKind.Video));
        var again = Party("v1", kiosk: false, slotPairs: 2);
        router.Attach(again);
        Assert.Equal("v1,v2", Sources(kiosk, MediaKind.Video));
        Assert.Same(again.Video, kiosk.VideoSlots[0].Source);
    }

    [Fact]
    public void With_fewer_slots_than_parties_the_kiosk_wins()
    {
        var router = new VisitRouter("v");
        var first = Party("v1", kiosk: false, slotPairs: 1);
        var second = Party("v2", kiosk: false, slotPairs: 1);
        var kiosk = Party("inmate", kiosk: true, slotPairs: 2);
        router.Attach(kiosk);
        router.Attach(first);
        router.Attach(second);
        Assert.Equal("inmate", Sources(first, MediaKind.Video));
        Assert.Equal("inmate", Sources(second, MediaKind.Video));
    }

    [Fact]
    public void A_one_slot_receiver_that_took_a_visitor_before_the_kiosk_came_is_given_the_kiosk()
    {
        var router = new VisitRouter("v");
        var browser = Party("v1", kiosk: false, slotPairs: 1);
        var other = Party("v2", kiosk: false, slotPairs: 1);
        router.Attach(browser);
        router.Attach(other);
        Assert.Equal("v2", Sources(browser, MediaKind.Video));
        router.Attach(Party("inmate", kiosk: true, slotPairs: 2));
        Assert.Equal("inmate", Sources(browser, MediaKind.Video));
        Assert.Equal("inmate", Sources(other, MediaKind.Audio));
    }

    [Fact]
    public void Detaching_everyone_silences_every_track()
    {
        var router = new VisitRouter("v");
        var kiosk = Party("inmate", kiosk: true, slotPairs: 1);
        var visitor = Party("mum", kiosk: false, slotPairs: 1);
        router.Attach(kiosk);
        router.Attach(visitor);
        router.DetachAll();
        Assert.Equal(0, kiosk.Video!.Subscribers.Length);
        Assert.Equal(0, visitor.Audio!.Subscribers.Length);
        Assert.Null(visitor.VideoSlots[0].Source);
        Assert.Equal(0, router.PartyCount);
    }
}
