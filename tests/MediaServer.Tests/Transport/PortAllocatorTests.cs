using System.Net;
using System.Net.Sockets;
using MediaServer.Transport;

namespace MediaServer.Tests.Transport;

public sealed class PortAllocatorTests
{
    /// <summary>Finds a run of free even ports by binding a probe socket on an ephemeral port and starting just above it.</summary>
    private static int FreeEvenBase(int span)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var start = ((IPEndPoint)probe.LocalEndPoint!).Port + 2;
            start += start % 2;
            if (start + span < 65000)
            {
                return start;
            }
        }
        throw new InvalidOperationException("no port range found");
    }

    [Fact]
    public void Pairs_are_an_even_rtp_port_and_the_next_odd_one()
    {
        var start = FreeEvenBase(20);
        var allocator = new PortAllocator(IPAddress.Loopback, start, start + 19);
        using var pair = allocator.Allocate();
        Assert.NotNull(pair);
        Assert.Equal(0, pair.RtpPort % 2);
        Assert.Equal(pair.RtpPort + 1, ((IPEndPoint)pair.Rtcp.LocalEndPoint!).Port);
        Assert.Equal(1, allocator.InUse);
    }

    [Fact]
    public void A_port_held_by_someone_else_is_skipped()
    {
        var start = FreeEvenBase(20);
        using var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        squatter.Bind(new IPEndPoint(IPAddress.Loopback, start + 1));
        var allocator = new PortAllocator(IPAddress.Loopback, start, start + 19);
        using var pair = allocator.Allocate();
        Assert.NotNull(pair);
        Assert.NotEqual(start, pair.RtpPort);
    }

    [Fact]
    public void An_exhausted_range_gives_null_and_a_released_pair_is_reused()
    {
        var start = FreeEvenBase(4);
        var allocator = new PortAllocator(IPAddress.Loopback, start, start + 3);
        var first = allocator.Allocate();
        var second = allocator.Allocate();
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Null(allocator.Allocate());
        first.Dispose();
        using var again = allocator.Allocate();
        Assert.NotNull(again);
        Assert.Equal(first.RtpPort, again.RtpPort);
        second.Dispose();
    }

    [Theory]
    [InlineData(5000, 5000)]
    [InlineData(5001, 5001)]
    [InlineData(6000, 5000)]
    public void Invalid_ranges_are_refused(int min, int max) =>
        Assert.Throws<ArgumentException>(() => new PortAllocator(IPAddress.Loopback, min, max));
}
