using System.Net;
using System.Net.Sockets;
using MediaServer.Codecs.Stun;

namespace MediaServer.Codecs.Tests.Stun;

public class StunTransportAddressTests
{
    [Theory]
    [InlineData("192.0.2.1", 32853)]
    [InlineData("0.0.0.0", 0)]
    [InlineData("255.255.255.255", 65535)]
    [InlineData("2001:db8:1234:5678:11:2233:4455:6677", 32853)]
    [InlineData("::", 1)]
    public void The_native_socket_address_of_an_endpoint_reads_back_as_that_endpoint(string address, int port)
    {
        var endPoint = new IPEndPoint(IPAddress.Parse(address), port);

        Assert.True(StunTransportAddress.TryCreate(endPoint.Serialize(), out var fromSocketAddress));
        Assert.True(StunTransportAddress.TryCreate(endPoint, out var fromEndPoint));

        Assert.Equal(endPoint, fromSocketAddress.ToIPEndPoint());
        Assert.Equal(fromEndPoint, fromSocketAddress);
        Assert.Equal(endPoint.Address.AddressFamily == AddressFamily.InterNetwork ? 4 : 16, fromSocketAddress.AddressLength);
    }

    [Fact]
    public void An_ipv4_mapped_ipv6_address_becomes_ipv4()
    {
        Assert.True(StunTransportAddress.TryCreate(IPAddress.Parse("::ffff:198.51.100.7"), 7, out var address));

        Assert.Equal(StunAddressFamily.IPv4, address.Family);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("198.51.100.7"), 7), address.ToIPEndPoint());
    }

    [Fact]
    public void Wrong_sizes_and_families_are_refused()
    {
        Assert.False(StunTransportAddress.TryCreate(new byte[5], 1, out _));
        Assert.False(StunTransportAddress.TryCreate(AddressFamily.InterNetwork, new byte[7], out _));
        Assert.False(StunTransportAddress.TryCreate(AddressFamily.InterNetworkV6, new byte[23], out _));
        Assert.False(StunTransportAddress.TryCreate(AddressFamily.Unix, new byte[110], out _));
        Assert.Equal(0, default(StunTransportAddress).AddressLength);
        Assert.Throws<InvalidOperationException>(() => default(StunTransportAddress).ToIPEndPoint());
    }

    [Fact]
    public void Equality_compares_family_port_and_address()
    {
        Assert.True(StunTransportAddress.TryCreate([10, 0, 0, 1], 5, out var a));
        Assert.True(StunTransportAddress.TryCreate([10, 0, 0, 1], 5, out var same));
        Assert.True(StunTransportAddress.TryCreate([10, 0, 0, 1], 6, out var otherPort));
        Assert.True(StunTransportAddress.TryCreate([10, 0, 0, 2], 5, out var otherAddress));

        Assert.Equal(a, same);
        Assert.True(a == same);
        Assert.NotEqual(a, otherPort);
        Assert.NotEqual(a, otherAddress);
        Assert.Equal(a.GetHashCode(), same.GetHashCode());
        Assert.Equal("10.0.0.1:5", a.ToString());
    }
}
