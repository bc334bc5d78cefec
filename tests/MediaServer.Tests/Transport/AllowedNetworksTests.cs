using System.Net;
using MediaServer.Transport;

namespace MediaServer.Tests.Transport;

public sealed class AllowedNetworksTests
{
    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.255.0.9", true)]
    [InlineData("::1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("10.0.0.1", false)]
    [InlineData("192.168.1.10", false)]
    [InlineData("::2", false)]
    [InlineData("0.0.0.0", false)]
    public void An_empty_list_means_loopback_only(string address, bool allowed)
    {
        var networks = AllowedNetworks.Parse([]);
        Assert.Equal(allowed, networks.Contains(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("10.20.30.40", true)]
    [InlineData("10.20.255.255", true)]
    [InlineData("10.21.0.1", false)]
    [InlineData("::ffff:10.20.0.5", true)]
    [InlineData("fd00::1234", true)]
    [InlineData("fe80::1", false)]
    [InlineData("127.0.0.1", false)]
    [InlineData("::1", false)]
    public void A_facility_list_admits_its_subnets_and_nothing_else(string address, bool allowed)
    {
        var networks = AllowedNetworks.Parse(["10.20.0.0/16", "fd00::/8"]);
        Assert.Equal(allowed, networks.Contains(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("10.0.0.0")]
    [InlineData("10.1.2.3/8")]
    [InlineData("10.0.0.0/33")]
    [InlineData("kiosks")]
    [InlineData("")]
    public void An_entry_that_is_not_a_cidr_prefix_is_refused_with_a_plain_error(string entry)
    {
        Assert.False(AllowedNetworks.TryParse(["127.0.0.0/8", entry], out var networks, out var error));
        Assert.Null(networks);
        Assert.Contains("entry 1", error, StringComparison.Ordinal);
        Assert.Contains("CIDR", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Normalize_maps_ipv4_in_ipv6_and_drops_scope_ids()
    {
        Assert.Equal(IPAddress.Parse("192.0.2.7"), AllowedNetworks.Normalize(IPAddress.Parse("::ffff:192.0.2.7")));
        Assert.Equal(IPAddress.Parse("fe80::1"), AllowedNetworks.Normalize(IPAddress.Parse("fe80::1%2")));
        Assert.Equal(IPAddress.Loopback, AllowedNetworks.Normalize(IPAddress.Loopback));
    }
}
