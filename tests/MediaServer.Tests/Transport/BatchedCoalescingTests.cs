using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using MediaServer.Testing;
using MediaServer.Transport;
using MediaServer.Transport.Batched;
using Microsoft.Extensions.Logging.Abstractions;

namespace MediaServer.Tests.Transport;

/// <summary>
/// The I/O threads' coalescing pause (MediaServer:Rtp:IoCoalesceMicroseconds) over real loopback sockets: a round that filled
/// no batch ends with a pause, a round that filled one never does (so a backlog drains at full speed whatever the pause), and
/// no datagram is lost or held back for good.
/// </summary>
public sealed class BatchedCoalescingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static Socket Bound()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 8 << 20 };
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    private static void SendNumbered(Socket from, Socket to, int count, int first)
    {
        var datagram = new byte[300];
        for (var i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(datagram, first + i);
            from.SendTo(datagram, to.LocalEndPoint!);
        }
    }

    /// <summary>Bursts of five datagrams, each handled before the next is sent, so every round is short.</summary>
    private static async Task SendBurstsAsync(Socket client, Socket relayIn, Recorder handler, int bursts)
    {
        for (var burst = 0; burst < bursts; burst++)
        {
            SendNumbered(client, relayIn, 5, burst * 5);
            var expected = (burst + 1) * 5;
            await Poll.UntilAsync(() => handler.Datagrams == expected, Timeout, $"burst {burst} handled");
        }
    }

    [Fact]
    public async Task A_backlog_drains_in_full_batches_without_pausing_even_with_a_one_second_pause()
    {
        // 1. 3,200 datagrams wait in the kernel before the socket is registered: a hundred full batches of 32.
        const int Count = 3200;
        using var io = new BatchedDatagramIo(1, NullLogger.Instance, TimeSpan.FromSeconds(1));
        using var relayIn = Bound();
        using var client = Bound();
        SendNumbered(client, relayIn, Count, 0);
        var handler = new Recorder();
        using var stop = new CancellationTokenSource();
        var served = io.Register(relayIn, handler, stop.Token);

        // 2. Pausing after every round would take 100 s; only the last, short round may pause.
        await Poll.UntilAsync(() => handler.Datagrams == Count, Timeout, "the whole backlog handled");
        Assert.InRange(io.CoalescePauses, 0, 2);
        Assert.Equal(Count, handler.Distinct);
        await stop.CancelAsync();
        await served.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Rounds_that_fill_no_batch_pause_and_every_datagram_still_arrives()
    {
        // 1. Twenty small bursts, each handled before the next is sent: every round is short, so each ends with a pause.
        using var io = new BatchedDatagramIo(1, NullLogger.Instance, TimeSpan.FromMilliseconds(1));
        using var relayIn = Bound();
        using var client = Bound();
        var handler = new Recorder();
        using var stop = new CancellationTokenSource();
        var served = io.Register(relayIn, handler, stop.Token);
        await SendBurstsAsync(client, relayIn, handler, bursts: 20);

        // 2. Every datagram once; at least one pause per burst's first round (a burst may take more than one round).
        Assert.Equal(100, handler.Distinct);
        await Poll.UntilAsync(() => io.CoalescePauses >= 20, Timeout, "a pause after each short round");
        await stop.CancelAsync();
        await served.WaitAsync(Timeout);
    }

    [Fact]
    public async Task No_pause_is_taken_when_coalescing_is_off()
    {
        using var io = new BatchedDatagramIo(1, NullLogger.Instance);
        using var relayIn = Bound();
        using var client = Bound();
        var handler = new Recorder();
        using var stop = new CancellationTokenSource();
        var served = io.Register(relayIn, handler, stop.Token);
        await SendBurstsAsync(client, relayIn, handler, bursts: 5);

        Assert.Equal(0, io.CoalescePauses);
        await stop.CancelAsync();
        await served.WaitAsync(Timeout);
    }

    [Fact]
    public void A_negative_or_over_long_pause_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchedDatagramIo(1, NullLogger.Instance, TimeSpan.FromTicks(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchedDatagramIo(1, NullLogger.Instance, TimeSpan.FromSeconds(2)));
    }

    private sealed class Recorder : IDatagramHandler
    {
        private readonly HashSet<int> _seen = [];
        private int _datagrams;

        public int Datagrams => Volatile.Read(ref _datagrams);

        public int Distinct
        {
            get
            {
                lock (_seen)
                {
                    return _seen.Count;
                }
            }
        }

        public void OnDatagram(Span<byte> datagram, SocketAddress source)
        {
            lock (_seen)
            {
                _seen.Add(BinaryPrimitives.ReadInt32BigEndian(datagram));
            }
            Interlocked.Increment(ref _datagrams);
        }

        public void OnOversize(SocketAddress source)
        {
        }
    }
}
