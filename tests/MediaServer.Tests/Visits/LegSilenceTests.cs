using MediaServer.Routing;
using MediaServer.Visits;

namespace MediaServer.Tests.Visits;

public sealed class LegSilenceTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);
    private static readonly DateTimeOffset Joined = new(2026, 12, 3, 8, 0, 0, TimeSpan.Zero);

    private static (Leg Leg, PartyCounters Counters) NewLeg()
    {
        var counters = new PartyCounters(0);
        var party = new RouterParty("v2", isKiosk: false, video: null, audio: null, [], [], counters);
        return (new Leg("v-1", new Participant("v2", "Visitor 2", PartyRole.Visitor), party, [], Joined), counters);
    }

    [Fact]
    public void A_leg_that_never_sends_is_silent_once_the_limit_has_passed_since_it_joined()
    {
        var (leg, _) = NewLeg();
        // The first look comes late: the leg is measured from its creation, not from the first look.
        Assert.False(leg.IsSilentFor(Limit, Joined.AddSeconds(9.9)));
        Assert.True(leg.IsSilentFor(Limit, Joined.AddSeconds(10)));
    }

    [Fact]
    public void A_leg_that_sends_is_silent_only_after_its_packets_stop_for_the_limit()
    {
        var (leg, counters) = NewLeg();
        Assert.False(leg.IsSilentFor(Limit, Joined.AddSeconds(1)));
        counters.CountIn(100);
        Assert.False(leg.IsSilentFor(Limit, Joined.AddSeconds(9)));
        counters.CountIn(100);
        Assert.False(leg.IsSilentFor(Limit, Joined.AddSeconds(18)));
        // No packet since 18 s: silent at 28 s, not before.
        Assert.False(leg.IsSilentFor(Limit, Joined.AddSeconds(27.9)));
        Assert.True(leg.IsSilentFor(Limit, Joined.AddSeconds(28)));
    }

    [Fact]
    public void A_leg_without_tracks_neither_sends_nor_receives()
    {
        var (leg, _) = NewLeg();
        Assert.False(leg.Sends);
        Assert.False(leg.Receives);
    }
}
