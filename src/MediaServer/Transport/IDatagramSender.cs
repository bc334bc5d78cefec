using System.Net;
using System.Net.Sockets;

namespace MediaServer.Transport;

/// <summary>
/// Sends one datagram from a socket to a named address: what the shared WebRTC port (STUN answers, DTLS, SRTP) and the
/// plain-RTP peers send through, so benchmarks can replace the socket with a null sender. The relay itself never names an
/// address: it sends through a peer-bound <see cref="MediaServer.Media.IRtpSender"/>.
/// </summary>
public interface IDatagramSender
{
    /// <summary>Sends synchronously (the kernel copies the bytes before returning); false when the kernel refused.</summary>
    bool TrySend(ReadOnlySpan<byte> datagram, SocketAddress destination);
}

/// <summary>Sends through a bound UDP socket, so that receivers see packets come from the port the answer named (symmetric RTP).
/// On a batched I/O thread the datagram is queued and leaves with the others of that socket at the end of the receive round
/// (one sendmmsg); anywhere else it is sent at once.</summary>
public sealed class UdpDatagramSender(Socket socket) : IDatagramSender
{
    private SafeSocketHandle? _handle;

    public bool TrySend(ReadOnlySpan<byte> datagram, SocketAddress destination)
    {
        if (Batched.IoThread.Current is { } thread)
        {
            try
            {
                _handle ??= socket.SafeHandle;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
            if (thread.TryQueue(_handle, datagram, destination))
            {
                return true;
            }
        }
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
