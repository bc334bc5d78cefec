using System.Diagnostics;
using MediaServer.Routing;

namespace MediaServer.Tests.Routing;

/// <summary>The retransmission token bucket on its own (MediaServer:Relay's share, floor and burst).</summary>
public sealed class RetransmitBudgetTests
{
    private static readonly FeedbackPolicy Policy = new(new RelayOptions
    {
        RetransmitShare = 0.25,
        RetransmitFloorBitrate = 80_000,
        RetransmitBurstBytes = 20_000,
    });

    [Fact]
    public void A_new_budget_starts_with_a_full_burst_and_refuses_what_it_does_not_hold()
    {
        var budget = new RetransmitBudget();
        budget.Refill(Policy, nowTicks: 1, delivered: 0);

        Assert.Equal(20_000, budget.Tokens);
        Assert.True(budget.TrySpend(15_000, overdraw: false));
        Assert.False(budget.TrySpend(6_000, overdraw: false));
        Assert.Equal(5_000, budget.Tokens);
    }

    [Fact]
    public void A_keyframe_may_overdraw_and_the_debt_is_repaid_before_anything_else_goes()
    {
        var budget = new RetransmitBudget();
        budget.Refill(Policy, nowTicks: 1, delivered: 0);

        Assert.True(budget.TrySpend(25_000, overdraw: true));
        Assert.Equal(-5_000, budget.Tokens);
        budget.Refill(Policy, nowTicks: 1, delivered: 0);
        Assert.False(budget.TrySpend(1, overdraw: false));
    }

    [Fact]
    public void It_earns_the_floor_rate_and_a_share_of_what_was_delivered_up_to_the_burst()
    {
        var budget = new RetransmitBudget();
        budget.Refill(Policy, nowTicks: 1, delivered: 1_000);
        Assert.True(budget.TrySpend(20_000, overdraw: false));

        // One second: 10,000 bytes of floor (80 kbit/s) plus a quarter of the 8,000 payload bytes sent since.
        budget.Refill(Policy, nowTicks: 1 + Stopwatch.Frequency, delivered: 9_000);
        Assert.Equal(12_000, budget.Tokens, precision: 6);

        budget.Refill(Policy, nowTicks: 1 + (10 * Stopwatch.Frequency), delivered: 9_000);
        Assert.Equal(20_000, budget.Tokens);
    }
}
