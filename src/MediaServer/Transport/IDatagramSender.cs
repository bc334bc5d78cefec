using System.Net;
using System.Net.Sockets;

namespace MediaServer.Transport;

/// <summary>Sends one datagram. The relay's only way out, so benchmarks can replace the socket with a null sender.</summary>
public interface IDatagramSender
{
    /// <summary>False while the way out is not established yet (a WebRTC leg before ICE and DTLS complete).</summary>
    bool IsReady { get; }

    /// <summary>Sends synchronously (the kernel copies the bytes before returning); false when the kernel refused.</summary>
    bool TrySend(ReadOnlySpan<byte> datagram, SocketAddress destination);
}

/// <summary>Sends through a bound UDP socket, so that receivers see packets come from the port the answer named (symmetric RTP).</summary>
public sealed class UdpDatagramSender(Socket socket) : IDatagramSender
{
    public bool IsReady => true;

    public bool TrySend(ReadOnlySpan<byte> datagram, SocketAddress destination)
    {
        try
        {
            return socket.SendTo(datagram, SocketFlags.None, destination) == datagram.Length;
        }
        catch (SocketException)
        {
            // A full send buffer or an ICMP error surfaced by the kernel: counted by the caller, never thrown into the loop.
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }
}

public static class SocketAddresses
{
    public static SocketAddress From(IPEndPoint endPoint) => endPoint.Serialize();
}
