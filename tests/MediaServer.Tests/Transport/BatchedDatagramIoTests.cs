using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using MediaServer.Testing;
using MediaServer.Transport;
using MediaServer.Transport.Batched;
using Microsoft.Extensions.Logging.Abstractions;

namespace MediaServer.Tests.Transport;

/// <summary>
/// The batched I/O threads over real loopback UDP sockets: datagrams queued in the kernel before the socket is registered are
/// taken in batches and every one is forwarded (through <see cref="UdpDatagramSender"/>, which queues on an I/O thread and
/// flushes with sendmmsg); bad input and kernel errors are counted; a closed leg's socket is released at once. Bounds are for a
/// loaded 2-core machine (seconds, where an idle one needs milliseconds).
/// </summary>
public sealed class BatchedDatagramIoTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly BatchedDatagramIo _io = new(2, NullLogger.Instance);
    private readonly List<Socket> _sockets = [];

    public void Dispose()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }
        _io.Dispose();
    }

    private Socket Bound(int port = 0)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
        {
            ReceiveBufferSize = 4 << 20,
            SendBufferSize = 4 << 20,
        };
        socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
        _sockets.Add(socket);
        return socket;
    }

    private static int PortOf(Socket socket) => ((IPEndPoint)socket.LocalEndPoint!).Port;

    /// <summary>Sends <paramref name="count"/> datagrams of <paramref name="size"/> bytes numbered from <paramref name="first"/>.</summary>
    private static void SendNumbered(Socket from, Socket to, int count, int size, int first = 0)
    {
        var datagram = new byte[size];
        var destination = to.LocalEndPoint!;
        for (var i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(datagram, first + i);
            from.SendTo(datagram, destination);
        }
    }

    private static HashSet<int> Drain(Socket socket, int expected)
    {
        var seen = new HashSet<int>();
        var buffer = new byte[4096];
        socket.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
        while (seen.Count < expected)
        {
            var length = socket.Receive(buffer);
            Assert.True(length >= 4);
            seen.Add(BinaryPrimitives.ReadInt32BigEndian(buffer));
        }
        return seen;
    }

    [Fact]
    public async Task Many_datagrams_in_are_all_forwarded_in_batches()
    {
        const int Count = 1000;
        var relayIn = Bound();
        var relayOut = Bound();
        var sink = Bound();
        var client = Bound();
        // Queued in the kernel first: the first receives must find full batches.
        SendNumbered(client, relayIn, Count, 300);
        var handler = new Forwarder(new UdpDatagramSender(relayOut), sink.LocalEndPoint!.Serialize(), copies: 1);
        using var stop = new CancellationTokenSource();
        var served = _io.Register(relayIn, handler, stop.Token);

        var seen = Drain(sink, Count);

        Assert.Equal(Count, seen.Count);
        await Poll.UntilAsync(() => handler.Datagrams == Count, Timeout, "every datagram handled");
        var (datagrams, batches, errors, _) = _io.ReceiveCounts;
        Assert.Equal(Count, datagrams);
        Assert.True(batches <= Count / 4, $"{batches} receive calls for {Count} queued datagrams: not batched");
        Assert.Equal(0, errors);
        // The sink can read the last datagrams before the thread that sent them has counted its sendmmsg.
        await Poll.UntilAsync(() => _io.SendCounts.Sent == Count, Timeout, "every send counted");
        var (sent, _, drops) = _io.SendCounts;
        Assert.Equal(Count, sent);
        Assert.Equal(0, drops);
        Assert.False(served.IsCompleted);
        await stop.CancelAsync();
        await served.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Fan_out_leaves_each_socket_in_one_sendmmsg_per_round()
    {
        const int Count = 320;
        var relayIn = Bound();
        var relayOut = Bound();
        var sink = Bound();
        var client = Bound();
        SendNumbered(client, relayIn, Count, 200);
        var handler = new Forwarder(new UdpDatagramSender(relayOut), sink.LocalEndPoint!.Serialize(), copies: 3);
        using var stop = new CancellationTokenSource();
        _ = _io.Register(relayIn, handler, stop.Token);

        await Poll.UntilAsync(() => _io.SendCounts.Sent == 3 * Count, Timeout, "every copy sent");
        var (sent, calls, drops) = _io.SendCounts;
        Assert.Equal(0, drops);
        Assert.True(calls <= sent / 8, $"{calls} sendmmsg calls for {sent} datagrams: not batched");
        Assert.Equal(Count, Drain(sink, Count).Count);
    }

    [Fact]
    public async Task Empty_short_and_oversize_datagrams_are_handed_on_or_counted_never_cut()
    {
        var relayIn = Bound();
        var client = Bound();
        var handler = new Forwarder(null, null, copies: 0);
        using var stop = new CancellationTokenSource();
        _ = _io.Register(relayIn, handler, stop.Token);

        client.SendTo(Array.Empty<byte>(), relayIn.LocalEndPoint!);
        client.SendTo(new byte[1], relayIn.LocalEndPoint!);
        client.SendTo(new byte[DatagramReceiveLoop.BufferSize + 1], relayIn.LocalEndPoint!);
        client.SendTo(new byte[DatagramReceiveLoop.BufferSize], relayIn.LocalEndPoint!);

        await Poll.UntilAsync(() => handler.Datagrams == 3 && handler.Oversize == 1, Timeout, "three datagrams and one oversize");
        Assert.Equal([0, 1, DatagramReceiveLoop.BufferSize], handler.Lengths());
        Assert.Equal(PortOf(client), handler.LastSourcePort);
    }

    [Fact]
    public async Task A_destination_nobody_listens_on_costs_only_its_own_datagrams()
    {
        const int Count = 200;
        var relayIn = Bound();
        var relayOut = Bound();
        var sink = Bound();
        var client = Bound();
        var dead = Bound();
        var deadAddress = dead.LocalEndPoint!.Serialize();
        dead.Dispose(); // Nobody listens there now: the kernel answers with ICMP port unreachable (ECONNREFUSED later).
        var handler = new Forwarder(new UdpDatagramSender(relayOut), sink.LocalEndPoint!.Serialize(), copies: 1, deadAddress);
        using var stop = new CancellationTokenSource();
        _ = _io.Register(relayIn, handler, stop.Token);
        var relayOutServed = _io.Register(relayOut, new Forwarder(null, null, copies: 0), stop.Token);

        for (var round = 0; round < 4; round++)
        {
            SendNumbered(client, relayIn, Count / 4, 100, first: round * (Count / 4));
            await Poll.UntilAsync(() => handler.Datagrams == (round + 1) * (Count / 4), Timeout, "the round handled");
        }

        // Every copy to the dead port went out or was counted; the ones to the sink were all sent.
        await Poll.UntilAsync(() => Task.FromResult(_io.SendCounts), c => c.Sent + c.Drops == 2 * Count, Timeout, "every send accounted for");
        Assert.True(_io.SendCounts.Drops <= Count, $"sends {_io.SendCounts}: more dropped than went to the dead port");
        Assert.Equal(Count, Drain(sink, Count).Count);
        Assert.False(relayOutServed.IsCompleted);
    }

    [Fact]
    public async Task Closing_a_leg_releases_its_port_at_once_while_datagrams_arrive()
    {
        var relayIn = Bound();
        var port = PortOf(relayIn);
        var client = Bound();
        var handler = new Forwarder(null, null, copies: 0);
        using var stop = new CancellationTokenSource();
        var served = _io.Register(relayIn, handler, stop.Token);
        using var flooding = new CancellationTokenSource();
        var flood = Task.Run(() =>
        {
            var datagram = new byte[100];
            var destination = new IPEndPoint(IPAddress.Loopback, port);
            while (!flooding.IsCancellationRequested)
            {
                client.SendTo(datagram, destination);
            }
        });
        await Poll.UntilAsync(() => handler.Datagrams > 100, Timeout, "the flood arriving");

        await stop.CancelAsync();
        relayIn.Dispose();
        await served.WaitAsync(Timeout);
        Assert.Equal(0, _io.Sockets);

        // The port is free again: a new leg can bind it (no descriptor left behind on the I/O thread).
        using var again = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await Poll.UntilAsync(() => TryBind(again, port), TimeSpan.FromSeconds(5), "the closed leg's port to be free");
        await flooding.CancelAsync();
        await flood;

        // And the threads go on serving the rest.
        var other = Bound();
        var next = new Forwarder(null, null, copies: 0);
        using var stopOther = new CancellationTokenSource();
        _ = _io.Register(other, next, stopOther.Token);
        client.SendTo(new byte[10], other.LocalEndPoint!);
        await Poll.UntilAsync(() => next.Datagrams == 1, Timeout, "a datagram on a socket registered after the close");
    }

    [Fact]
    public async Task A_throwing_handler_costs_its_datagram_only()
    {
        var relayIn = Bound();
        var client = Bound();
        var handler = new Forwarder(null, null, copies: 0) { ThrowOnFirst = true };
        using var stop = new CancellationTokenSource();
        _ = _io.Register(relayIn, handler, stop.Token);

        client.SendTo(new byte[5], relayIn.LocalEndPoint!);
        client.SendTo(new byte[6], relayIn.LocalEndPoint!);

        await Poll.UntilAsync(() => handler.Datagrams == 2, Timeout, "both datagrams seen");
        Assert.Equal([5, 6], handler.Lengths());
    }

    private static bool TryBind(Socket socket, int port)
    {
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Sends each datagram <c>copies</c> times (first to <c>dead</c> when given), counts what it saw.</summary>
    private sealed class Forwarder(UdpDatagramSender? sender, SocketAddress? to, int copies, SocketAddress? dead = null) : IDatagramHandler
    {
        private readonly List<int> _lengths = [];
        private int _datagrams;
        private int _oversize;

        public bool ThrowOnFirst { get; init; }

        public int Datagrams => Volatile.Read(ref _datagrams);

        public int Oversize => Volatile.Read(ref _oversize);

        public int LastSourcePort { get; private set; }

        public int[] Lengths()
        {
            lock (_lengths)
            {
                return [.. _lengths];
            }
        }

        public void OnDatagram(Span<byte> datagram, SocketAddress source)
        {
            LastSourcePort = (source.Buffer.Span[2] << 8) | source.Buffer.Span[3];
            lock (_lengths)
            {
                _lengths.Add(datagram.Length);
            }
            var first = Interlocked.Increment(ref _datagrams) == 1;
            if (ThrowOnFirst && first)
            {
                throw new InvalidOperationException("handler bug");
            }
            if (dead is not null)
            {
                sender!.TrySend(datagram, dead);
            }
            for (var i = 0; i < copies; i++)
            {
                Assert.True(sender!.TrySend(datagram, to!));
            }
        }

        public void OnOversize(SocketAddress source) => Interlocked.Increment(ref _oversize);
    }
}
