using System.Net;
using MediaServer.Media;
using MediaServer.Transport;

namespace MediaServer.Benchmarks;

/// <summary>Stands in for the socket (or a slot's peer) so a benchmark measures the relay's own work, not the kernel's sendto.</summary>
internal sealed class NullDatagramSender : IDatagramSender, IRtpSender
{
    public long Sent;

    public bool IsReady => true;

    public bool TrySend(ReadOnlySpan<byte> packet)
    {
        Sent += packet.Length;
        return true;
    }

    public bool TrySend(ReadOnlySpan<byte> datagram, SocketAddress destination)
    {
        Sent += datagram.Length;
        return true;
    }
}
