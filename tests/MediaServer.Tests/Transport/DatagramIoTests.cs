using System.Net;
using System.Net.Sockets;
using MediaServer.Testing;
using MediaServer.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace MediaServer.Tests.Transport;

/// <summary>
/// The process-wide choice of datagram path. Hosts in one process (the test runs) share one set of batched I/O threads; a
/// socket registered on them while a host runs must go on being read after that host stops, until its own registration ends.
/// </summary>
public sealed class DatagramIoTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_socket_on_the_batched_threads_is_still_read_after_the_host_that_installed_them_stops()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var handler = new Counter();
        using var stop = new CancellationTokenSource();

        // 1. A "host" installs the batched path (or joins the one another test's host installed), and the socket registers on it.
        var host = DatagramIo.UseBatched(1, NullLogger.Instance);
        Assert.NotNull(DatagramIo.Batched);
        var served = DatagramReceiveLoop.Start(socket, handler, NullLogger.Instance, stop.Token);
        client.SendTo(new byte[] { 1 }, socket.LocalEndPoint!);
        await Poll.UntilAsync(() => handler.Datagrams >= 1, Timeout, "the first datagram on the batched threads");

        // 2. The host stops. Its lease was the only one it held; the socket's registration keeps the threads running.
        host.Dispose();
        client.SendTo(new byte[] { 2 }, socket.LocalEndPoint!);
        await Poll.UntilAsync(() => handler.Datagrams >= 2, Timeout, "a datagram after the host's lease ended");

        // 3. The registration ends when cancelled, and with it the socket's hold on the threads.
        await stop.CancelAsync();
        await served.WaitAsync(Timeout);
        Assert.Equal(2, handler.Datagrams);
    }

    private sealed class Counter : IDatagramHandler
    {
        private int _datagrams;

        public int Datagrams => Volatile.Read(ref _datagrams);

        public void OnDatagram(Span<byte> datagram, SocketAddress source) => Interlocked.Increment(ref _datagrams);

        public void OnOversize(SocketAddress source)
        {
        }
    }
}
