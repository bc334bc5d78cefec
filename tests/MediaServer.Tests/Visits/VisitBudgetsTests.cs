using System.Net;
using MediaServer.Codecs.Sdp;
using MediaServer.Visits;

namespace MediaServer.Tests.Visits;

public sealed class VisitBudgetsTests
{
    private static readonly DateTimeOffset Now = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private static Visit NewVisit(int visitors) => new("v-1", new Person("i1", "I"),
        [.. Enumerable.Range(1, visitors).Select(n => new Person("v" + n, "V"))], Now, Now.AddMinutes(30), false, false, Now);

    private static MediaOffer Offer(int lines, bool webRtc = false) => new(webRtc,
        [.. Enumerable.Range(0, lines).Select(i => new OfferedMedia(i, i % 2 == 0 ? "video" : "audio", 20000 + (2 * i), "RTP/AVP", ["96"],
            IPAddress.Loopback, null, SdpDirection.RecvOnly, [], i.ToString(System.Globalization.CultureInfo.InvariantCulture)))]);

    private static VisitBudgets Budgets(int taps = 4, int perOfficer = 4) =>
        new(4, new LimitOptions { MaxTapsPerVisit = taps, MaxTapsPerOfficer = perOfficer });

    [Theory]
    [InlineData(1, 4)]
    [InlineData(2, 6)]
    [InlineData(4, 10)]
    public void A_plain_leg_may_offer_its_own_two_m_lines_and_two_per_other_party(int visitors, int allowed)
    {
        var visit = NewVisit(visitors);
        var participant = visit.Participants[0];
        var budgets = Budgets();

        Assert.Null(budgets.CheckJoin(visit, participant, Offer(allowed)));
        var refusal = budgets.CheckJoin(visit, participant, Offer(allowed + 1));
        Assert.NotNull(refusal);
        Assert.Equal(400, refusal.Status);
        Assert.Contains($"at most {allowed} m-lines", refusal.Detail, StringComparison.Ordinal);
        Assert.NotNull(budgets.CheckJoin(visit, participant, Offer(32)));
    }

    [Fact]
    public void A_webrtc_leg_may_offer_the_visit_pages_fixed_ten_m_lines_on_any_visit()
    {
        var visit = NewVisit(1);
        var budgets = Budgets();

        Assert.Null(budgets.CheckJoin(visit, visit.Participants[0], Offer(10, webRtc: true)));
        Assert.NotNull(budgets.CheckJoin(visit, visit.Participants[0], Offer(11, webRtc: true)));
    }

    [Fact]
    public void A_tap_may_offer_one_video_and_one_audio_slot_per_party()
    {
        var visit = NewVisit(2);
        var budgets = Budgets();

        Assert.Null(budgets.CheckTap(visit, Offer(6)));
        Assert.Equal(400, budgets.CheckTap(visit, Offer(7))?.Status);
    }

    [Fact]
    public void An_officers_taps_are_counted_across_visits_and_given_back_when_closed()
    {
        var budgets = Budgets(perOfficer: 2);

        Assert.True(budgets.TryReserveTap("o1"));
        Assert.True(budgets.TryReserveTap("o1"));
        Assert.False(budgets.TryReserveTap("o1"));
        Assert.True(budgets.TryReserveTap("o2"));
        budgets.ReleaseTap("o1");
        Assert.Equal(1, budgets.TapsOf("o1"));
        Assert.True(budgets.TryReserveTap("o1"));
        budgets.ReleaseTap("o1");
        budgets.ReleaseTap("o1");
        budgets.ReleaseTap("o1");
        Assert.Equal(0, budgets.TapsOf("o1"));
        Assert.Equal(429, budgets.OfficerTapRefusal.Status);
    }

    [Fact]
    public void The_port_budget_of_a_visit_covers_every_party_and_every_tap_at_their_caps()
    {
        var visit = NewVisit(1);
        var budgets = Budgets();

        // Two parties × 4 m-lines, and four taps × 4 m-lines.
        Assert.Equal((2 * 4) + (4 * 4), budgets.VisitPortPairs(visit));
        Assert.Equal(3, VisitBudgets.PortPairsOf([
            new AnsweredMedia(Offer(1).Media[0], 40000, [], SdpDirection.SendRecv),
            new AnsweredMedia(Offer(1).Media[0], 0, [], SdpDirection.Inactive),
            new AnsweredMedia(Offer(1).Media[0], 40002, [], SdpDirection.SendRecv),
            new AnsweredMedia(Offer(1).Media[0], 40004, [], SdpDirection.SendRecv),
        ]));
        Assert.Equal(0, VisitBudgets.PortPairsOf(null));
    }
}
