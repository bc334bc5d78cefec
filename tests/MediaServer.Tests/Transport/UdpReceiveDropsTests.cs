using System.Net;
using System.Net.Sockets;
using MediaServer.Transport;
using Xunit;

namespace MediaServer.Tests.Transport;

public sealed class UdpReceiveDropsTests
{
    [Fact]
    public void Rows_of_the_kernel_table_give_inode_and_drops()
    {
        // Two rows as Linux 6.x prints them (header, then one per socket), and a row cut short.
        const string Table = """
               sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
             1055: 0100007F:9C41 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 483712 2 0000000000000000 0
             1056: 0100007F:9C42 00000000:0000 07 00000000:00001200 00:00000000 00000000  1000        0 483713 2 0000000000000000 371
             1057: 0100007F:9C43 00000000:0000 07
            """;

        var rows = UdpReceiveDrops.ParseTable(Table).ToList();

        Assert.Equal([(483712UL, 0L), (483713UL, 371L)], rows);
    }

    [Fact]
    public void A_full_receive_buffer_is_counted_and_the_count_survives_the_socket_closing()
    {
        Assert.True(UdpReceiveDrops.IsSupported, "the server's media path runs on Linux, which has /proc/net/udp");
        var drops = new UdpReceiveDrops();
        var before = drops.Read();

        // 1. A socket nobody reads, with the smallest buffer the kernel allows (a few datagrams).
        var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 1 };
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var payload = new byte[1200];
        // 2. Loopback delivers inside sendto: when it returns, each datagram is queued or dropped.
        for (var i = 0; i < 200; i++)
        {
            sender.SendTo(payload, receiver.LocalEndPoint!);
        }
        var whileOpen = drops.Read();
        Assert.True(whileOpen - before >= 150, $"{whileOpen - before} drops counted for 200 datagrams into a buffer of a few");

        // 3. Closed, its count stays in the total.
        receiver.Dispose();
        var afterClose = drops.Read();
        Assert.True(afterClose >= whileOpen, $"the total fell from {whileOpen} to {afterClose} when the socket closed");
    }
}
