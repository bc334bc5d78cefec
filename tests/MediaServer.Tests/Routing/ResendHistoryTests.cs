using MediaServer.Routing;

namespace MediaServer.Tests.Routing;

/// <summary>At most one resend of a packet to a receiver per interval (its round trip).</summary>
public sealed class ResendHistoryTests
{
    [Fact]
    public void A_packet_resent_is_held_back_for_the_interval_and_only_that_packet()
    {
        var history = new ResendHistory(capacity: 16);
        Assert.False(history.ResentWithin(5, nowTicks: 100, intervalTicks: 50));

        history.Note(5, nowTicks: 100);

        Assert.True(history.ResentWithin(5, nowTicks: 149, intervalTicks: 50));
        Assert.False(history.ResentWithin(5, nowTicks: 150, intervalTicks: 50));
        Assert.False(history.ResentWithin(6, nowTicks: 120, intervalTicks: 50));
        // The same table entry, another packet: never mistaken for the one noted.
        Assert.False(history.ResentWithin(5 + 16, nowTicks: 120, intervalTicks: 50));
    }

    [Fact]
    public void Its_capacity_is_a_power_of_two() =>
        Assert.Throws<ArgumentException>(() => new ResendHistory(capacity: 500));
}
