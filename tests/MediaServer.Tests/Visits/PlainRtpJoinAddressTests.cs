using System.Net;
using MediaServer.Metrics;
using MediaServer.Transport;
using MediaServer.Visits;
using Microsoft.Extensions.Logging.Abstractions;

namespace MediaServer.Tests.Visits;

/// <summary>
/// Where a plain-RTP leg's media may come from and go to is decided by the join request's address alone: a join from outside
/// the allowed networks is refused before any port is bound, and an offer's c= naming another host (or 0.0.0.0) is not used.
/// </summary>
public sealed class PlainRtpJoinAddressTests : IDisposable
{
    private readonly PortAllocator _ports = new(IPAddress.Loopback, 47000, 47999);
    private readonly Visit _visit;
    private readonly List<Leg> _legs = [];

    public PlainRtpJoinAddressTests()
    {
        var now = DateTimeOffset.UtcNow;
        _visit = new Visit("v-addr", new Person("i1", "Kiosk"), [new Person("v1", "One")], now.AddMinutes(-1), now.AddHours(1),
            privileged: false, flagged: false, now);
    }

    public void Dispose()
    {
        foreach (var leg in _legs)
        {
            leg.Dispose();
        }
    }

    private PlainRtpJoin Joiner(params string[] allowed) =>
        new(_ports, AllowedNetworks.Parse(allowed), new RelayMetrics(), NullLogger<PlainRtpJoin>.Instance);

    private static string Offer(string connection, int videoPort = 30000, int audioPort = 30002) =>
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n" + $"c=IN IP4 {connection}\r\nt=0 0\r\n"
        + $"m=video {videoPort} RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\na=sendrecv\r\n"
        + $"m=audio {audioPort} RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\na=sendrecv\r\n";

    private (Leg? Leg, JoinRefusal? Refusal) Plan(PlainRtpJoin joiner, string sdp, string client)
    {
        Assert.True(SdpOffers.TryRead(sdp, out var offer, out var error), error);
        var (leg, _, refusal) = joiner.Plan(_visit, _visit.FindParticipant("i1")!, offer, IPAddress.Parse(client), DateTimeOffset.UtcNow);
        if (leg is not null)
        {
            _legs.Add(leg);
        }
        return (leg, refusal);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("192.0.2.10")]
    public void A_join_from_outside_the_allowed_networks_is_refused_403_before_any_port_is_bound(string client)
    {
        var (leg, refusal) = Plan(Joiner("10.0.0.0/8"), Offer("127.0.0.1"), client);

        Assert.Null(leg);
        Assert.Equal(403, refusal!.Status);
        Assert.Contains("MediaServer:Rtp:AllowedNetworks", refusal.Detail, StringComparison.Ordinal);
        Assert.Contains(client, refusal.Detail, StringComparison.Ordinal);
        Assert.Equal(0, _ports.InUse);
    }

    [Fact]
    public void A_tap_from_outside_the_allowed_networks_is_refused_too()
    {
        Assert.True(SdpOffers.TryRead(Offer("127.0.0.1").Replace("a=sendrecv", "a=recvonly", StringComparison.Ordinal), out var offer, out _));
        var (tap, _, refusal) = Joiner("10.0.0.0/8").PlanTap(_visit, offer, IPAddress.Loopback, "o1", "officer", DateTimeOffset.UtcNow);

        Assert.Null(tap);
        Assert.Equal(403, refusal!.Status);
        Assert.Equal(0, _ports.InUse);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("127.0.0.2")]
    [InlineData("198.51.100.7")]
    public void Rtcp_goes_to_the_join_address_whatever_the_offers_c_line_names(string connection)
    {
        var (leg, refusal) = Plan(Joiner(), Offer(connection, 30000, 30002), "127.0.0.1");

        Assert.Null(refusal);
        Assert.False(leg!.Authenticated);
        var endpoint = Assert.IsType<PlainRtpPeer>(leg.Party.VideoSlots[0].Rtcp);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 30001).Serialize(), endpoint.RtcpDestination);
        var audio = Assert.IsType<PlainRtpPeer>(leg.Party.AudioSlots[0].Rtcp);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 30003).Serialize(), audio.RtcpDestination);
    }

    [Fact]
    public void An_ipv4_client_seen_as_ipv4_mapped_ipv6_is_the_same_client()
    {
        var (leg, refusal) = Plan(Joiner(), Offer("127.0.0.1"), "::ffff:127.0.0.1");

        Assert.Null(refusal);
        var endpoint = Assert.IsType<PlainRtpPeer>(leg!.Party.VideoSlots[0].Rtcp);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 30001).Serialize(), endpoint.RtcpDestination);
    }

    [Fact]
    public void An_ipv6_client_for_ipv4_sockets_is_refused_plainly()
    {
        var (leg, refusal) = Plan(Joiner(), Offer("127.0.0.1"), "::1");

        Assert.Null(leg);
        Assert.Equal(400, refusal!.Status);
        Assert.Contains("::1", refusal.Detail, StringComparison.Ordinal);
        Assert.Equal(0, _ports.InUse);
    }
}
