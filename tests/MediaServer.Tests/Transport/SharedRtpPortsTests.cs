using System.Net;
using System.Net.Sockets;
using MediaServer.Media;
using MediaServer.Metrics;
using MediaServer.Transport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace MediaServer.Tests.Transport;

/// <summary>The shared plain-RTP pairs for symmetric clients (RFC 4961), on real loopback sockets.</summary>
public sealed class SharedRtpPortsTests
{
    [Fact]
    public async Task Two_m_lines_on_one_shared_pair_each_get_only_their_own_clients_packets_and_send_back_from_the_shared_port()
    {
        using var shared = await StartAsync(pairs: 1);
        using var first = Client();
        using var second = Client();
        using var a = LineOn(shared, first);
        using var b = LineOn(shared, second);
        Assert.Equal(a.Ports.RtpPort, b.Ports.RtpPort);

        var server = new IPEndPoint(IPAddress.Loopback, a.Ports.RtpPort);
        for (ushort i = 0; i < 5; i++)
        {
            first.SendTo(Rtp(0xA, i), server);
            second.SendTo(Rtp(0xB, i), server);
        }
        await Eventually(() => a.Sink.Ssrcs.Count == 5 && b.Sink.Ssrcs.Count == 5, "five packets for each m-line");
        Assert.All(a.Sink.Ssrcs, s => Assert.Equal(0xAu, s));
        Assert.All(b.Sink.Ssrcs, s => Assert.Equal(0xBu, s));

        // The way back leaves from the shared port to the port the client sends from (symmetric RTP).
        Assert.True(a.Peer.TrySend(Rtp(0xC, 1)));
        var buffer = new byte[64];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        first.ReceiveTimeout = 5000;
        var length = first.ReceiveFrom(buffer, ref from);
        Assert.Equal(13, length);
        Assert.Equal(server, from);
    }

    [Fact]
    public async Task A_source_nobody_holds_and_a_line_not_yet_started_are_dropped_and_counted_as_unknown_source()
    {
        using var shared = await StartAsync(pairs: 1);
        using var client = Client();
        using var stranger = Client();
        using var line = LineOn(shared, client, start: false);
        var server = new IPEndPoint(IPAddress.Loopback, line.Ports.RtpPort);

        client.SendTo(Rtp(0xA, 1), server);
        stranger.SendTo(Rtp(0xBAD, 1), server);
        await Eventually(() => line.Metrics.Drops(DropReason.UnknownSource) == 2, "both packets counted");
        Assert.Empty(line.Sink.Ssrcs);

        line.Endpoint.Start();
        client.SendTo(Rtp(0xA, 2), server);
        stranger.SendTo(Rtp(0xBAD, 2), server);
        await Eventually(() => line.Sink.Ssrcs.Count == 1 && line.Metrics.Drops(DropReason.UnknownSource) == 3, "the client's packet in, the stranger's out");
        Assert.Equal([0xAu], line.Sink.Ssrcs);
    }

    [Fact]
    public async Task A_source_already_held_on_every_pair_gets_no_lease_until_its_line_closes()
    {
        using var shared = await StartAsync(pairs: 2);
        using var client = Client();
        var source = (IPEndPoint)client.LocalEndPoint!;
        var rtcp = new IPEndPoint(IPAddress.Loopback, source.Port + 1);

        var one = shared.TryLease(source, rtcp);
        var two = shared.TryLease(source, rtcp);
        Assert.NotNull(one);
        Assert.NotNull(two);
        Assert.NotEqual(one.RtpPort, two.RtpPort);
        Assert.Null(shared.TryLease(source, rtcp));
        Assert.Equal(2, shared.Leases);

        one.Dispose();
        Assert.Equal(1, shared.Leases);
        using var again = shared.TryLease(source, rtcp);
        Assert.NotNull(again);
        Assert.Equal(one.RtpPort, again.RtpPort);
        two.Dispose();
    }

    [Fact]
    public async Task A_closed_line_gets_nothing_more_and_no_shared_pairs_means_no_lease()
    {
        using var none = await StartAsync(pairs: 0);
        Assert.Null(none.TryLease(new IPEndPoint(IPAddress.Loopback, 5000), new IPEndPoint(IPAddress.Loopback, 5001)));
        Assert.Empty(none.Ports);

        using var shared = await StartAsync(pairs: 1);
        using var client = Client();
        var line = LineOn(shared, client);
        var server = new IPEndPoint(IPAddress.Loopback, line.Ports.RtpPort);
        client.SendTo(Rtp(0xA, 1), server);
        await Eventually(() => line.Sink.Ssrcs.Count == 1, "the first packet");
        line.Dispose();
        client.SendTo(Rtp(0xA, 2), server);
        await Eventually(() => line.Metrics.Drops(DropReason.UnknownSource) == 1, "the packet after the close counted");
        Assert.Single(line.Sink.Ssrcs);
        Assert.Equal(0, shared.Leases);
    }

    /// <summary>The shared pairs, counting into a metrics object of their own that the test's lines count into too.</summary>
    private static async Task<SharedRtpPorts> StartAsync(int pairs)
    {
        var shared = new SharedRtpPorts(Options.Create(new RtpOptions { SharedPairs = pairs }), new PortAllocator(IPAddress.Loopback, 45000, 45999),
            new RelayMetrics(), NullLogger<SharedRtpPorts>.Instance);
        await shared.StartAsync(CancellationToken.None);
        return shared;
    }

    private static SharedLine LineOn(SharedRtpPorts shared, Socket client, bool start = true)
    {
        var source = (IPEndPoint)client.LocalEndPoint!;
        var rtcp = new IPEndPoint(IPAddress.Loopback, source.Port + 1);
        var ports = shared.TryLease(source, rtcp) ?? throw new InvalidOperationException("no lease");
        return new SharedLine(ports, source, rtcp, shared.Metrics, start);
    }

    private static Socket Client() => PlainRtpEndpointTests.Client("127.0.0.1");

    private static byte[] Rtp(uint ssrc, ushort sequence) => PlainRtpEndpointTests.Rtp(ssrc, sequence);

    private static Task Eventually(Func<bool> condition, string what) => PlainRtpEndpointTests.Eventually(condition, what);
}

/// <summary>One m-line on a shared pair: its endpoint, the way back, and what reached its sink.</summary>
internal sealed class SharedLine : IDisposable
{
    public SharedLine(IPlainRtpPorts ports, IPEndPoint rtpTo, IPEndPoint rtcpTo, RelayMetrics metrics, bool start)
    {
        Ports = ports;
        Metrics = metrics;
        Peer = new PlainRtpPeer(ports, rtpTo, rtcpTo);
        Endpoint = new PlainRtpEndpoint(ports, Peer, IPAddress.Loopback, Sink, null, null, Metrics, NullLogger.Instance);
        if (start)
        {
            Endpoint.Start();
        }
    }

    public IPlainRtpPorts Ports { get; }
    public PlainRtpPeer Peer { get; }
    public PlainRtpEndpoint Endpoint { get; }
    public PlainRtpEndpointTests.RecordingSink Sink { get; } = new();
    public RelayMetrics Metrics { get; }

    public void Dispose() => Endpoint.Dispose();
}
