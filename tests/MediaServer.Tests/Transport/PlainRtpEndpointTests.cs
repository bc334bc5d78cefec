using System.Net;
using MediaServer.Transport;

namespace MediaServer.Tests.Transport;

public sealed class PlainRtpEndpointTests
{
    [Theory]
    [InlineData("127.0.0.1", 5000, "127.0.0.1", true)]
    [InlineData("127.0.0.1", 5000, "127.0.0.2", false)]
    [InlineData("::1", 5000, "::1", true)]
    [InlineData("::1", 5000, "127.0.0.1", false)]
    public void Source_addresses_compare_by_ip_only(string source, int port, string expected, bool same)
    {
        var address = new IPEndPoint(IPAddress.Parse(source), port).Serialize();
        Assert.Equal(same, PlainRtpEndpoint.SameAddress(address, IPAddress.Parse(expected)));
    }
}
