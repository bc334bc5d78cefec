using System.Net;
using System.Net.Sockets;
using MediaServer.Media;
using MediaServer.Metrics;
using MediaServer.Transport;
using Microsoft.Extensions.Logging.Abstractions;

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

    [Fact]
    public async Task Only_the_join_host_latches_another_host_sending_first_is_dropped_as_unknown_source()
    {
        using var fixture = new Fixture();
        using var stranger = Client("127.0.0.2");
        using var client = Client("127.0.0.1");

        // The stranger sends first: it must not take the port, whatever the offer said.
        for (var i = 0; i < 5; i++)
        {
            stranger.SendTo(Rtp(ssrc: 0xBAD, sequence: (ushort)i), fixture.RtpEndPoint);
        }
        await Eventually(() => fixture.Metrics.Drops(DropReason.UnknownSource) >= 5, "the stranger's five packets to be counted");
        Assert.Empty(fixture.Sink.Ssrcs);

        client.SendTo(Rtp(ssrc: 0x600D, sequence: 1), fixture.RtpEndPoint);
        await Eventually(() => fixture.Sink.Ssrcs.Count == 1, "the join host's packet to reach the sink");
        // Once latched, another port on the join host is a stranger too.
        using var otherPort = Client("127.0.0.1");
        otherPort.SendTo(Rtp(ssrc: 0xBAD, sequence: 9), fixture.RtpEndPoint);
        stranger.SendTo(Rtp(ssrc: 0xBAD, sequence: 10), fixture.RtpEndPoint);
        client.SendTo(Rtp(ssrc: 0x600D, sequence: 2), fixture.RtpEndPoint);
        await Eventually(() => fixture.Sink.Ssrcs.Count == 2 && fixture.Metrics.Drops(DropReason.UnknownSource) >= 7, "the rest to be sorted");
        Assert.All(fixture.Sink.Ssrcs, s => Assert.Equal(0x600Du, s));
    }

    [Theory]
    [InlineData(DatagramReceiveLoop.BufferSize + 1)]
    [InlineData(3000)]
    [InlineData(65000)]
    public async Task A_datagram_longer_than_the_buffer_is_dropped_whole_and_counted_as_oversize(int length)
    {
        using var fixture = new Fixture();
        using var client = Client("127.0.0.1");
        var big = new byte[length];
        Rtp(ssrc: 0xB16, sequence: 1).CopyTo(big, 0);

        client.SendTo(big, fixture.RtpEndPoint);
        client.SendTo(Rtp(ssrc: 0x600D, sequence: 2), fixture.RtpEndPoint);
        await Eventually(() => fixture.Sink.Ssrcs.Count == 1, "the normal packet after the oversize one");

        Assert.Equal(1, fixture.Metrics.Drops(DropReason.Oversize));
        Assert.Equal([0x600Du], fixture.Sink.Ssrcs);
        Assert.Equal(0, fixture.Metrics.Drops(DropReason.Malformed));
    }

    [Fact]
    public async Task A_datagram_exactly_the_buffer_size_is_still_accepted()
    {
        using var fixture = new Fixture();
        using var client = Client("127.0.0.1");
        var full = new byte[DatagramReceiveLoop.BufferSize];
        Rtp(ssrc: 0xF011, sequence: 1).CopyTo(full, 0);

        client.SendTo(full, fixture.RtpEndPoint);
        await Eventually(() => fixture.Sink.Ssrcs.Count == 1, "the buffer-sized packet");
        Assert.Equal(DatagramReceiveLoop.BufferSize, fixture.Sink.Lengths[0]);
        Assert.Equal(0, fixture.Metrics.Drops(DropReason.Oversize));
    }

    internal static Socket Client(string address)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
        return socket;
    }

    /// <summary>A minimal RTP header (RFC 3550 §5.1): version 2, payload type 96, and one payload byte.</summary>
    internal static byte[] Rtp(uint ssrc, ushort sequence)
    {
        var packet = new byte[13];
        packet[0] = 0x80;
        packet[1] = 96;
        packet[2] = (byte)(sequence >> 8);
        packet[3] = (byte)sequence;
        packet[8] = (byte)(ssrc >> 24);
        packet[9] = (byte)(ssrc >> 16);
        packet[10] = (byte)(ssrc >> 8);
        packet[11] = (byte)ssrc;
        packet[12] = 0x42;
        return packet;
    }

    internal static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("timed out waiting for " + what);
            }
            await Task.Delay(10);
        }
    }

    internal sealed class RecordingSink : IRtpSink
    {
        private readonly Lock _lock = new();
        private readonly List<uint> _ssrcs = [];
        private readonly List<int> _lengths = [];

        public List<uint> Ssrcs
        {
            get
            {
                lock (_lock)
                {
                    return [.. _ssrcs];
                }
            }
        }

        public List<int> Lengths
        {
            get
            {
                lock (_lock)
                {
                    return [.. _lengths];
                }
            }
        }

        public void OnRtp(Span<byte> packet, in RtpHeaderInfo header)
        {
            lock (_lock)
            {
                _ssrcs.Add(header.Ssrc);
                _lengths.Add(packet.Length);
            }
        }
    }

    private sealed class Fixture : IDisposable
    {
        private readonly PlainRtpEndpoint _endpoint;

        public Fixture()
        {
            var allocator = new PortAllocator(IPAddress.Loopback, 46000, 46999);
            var pair = allocator.Allocate() ?? throw new InvalidOperationException("no port pair free");
            var peer = new PlainRtpPeer(pair, new IPEndPoint(IPAddress.Loopback, 9), new IPEndPoint(IPAddress.Loopback, 9));
            _endpoint = new PlainRtpEndpoint(pair, peer, IPAddress.Loopback, Sink, null, null, Metrics, NullLogger.Instance);
            RtpEndPoint = new IPEndPoint(IPAddress.Loopback, pair.RtpPort);
            _endpoint.Start();
        }

        public RelayMetrics Metrics { get; } = new();

        public RecordingSink Sink { get; } = new();

        public IPEndPoint RtpEndPoint { get; }

        public void Dispose() => _endpoint.Dispose();
    }
}
