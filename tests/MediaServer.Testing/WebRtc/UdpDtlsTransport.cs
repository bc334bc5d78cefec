using System.Net;
using System.Net.Sockets;
using Org.BouncyCastle.Tls;

namespace MediaServer.Testing.WebRtc;

/// <summary>
/// BouncyCastle's datagram transport for a DTLS client over a real UDP socket, sending to the server's candidate. Anything
/// received that is not a DTLS record (RFC 7983 §7: first byte 20..63), such as a late STUN response, is skipped. Closing it
/// leaves the socket open: the media, and the consent checks, go on using its port.
/// </summary>
public sealed class UdpDtlsTransport(Socket socket, IPEndPoint server) : DatagramTransport
{
    private const int Limit = 1500;

    public int GetReceiveLimit() => Limit;

    public int GetSendLimit() => 1200;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    /// <summary>The next DTLS datagram, or -1 when none came within <paramref name="waitMillis"/> (0: no limit, BC's convention).</summary>
    public int Receive(Span<byte> buffer, int waitMillis)
    {
        var deadline = waitMillis > 0 ? Environment.TickCount64 + waitMillis : long.MaxValue;
        Span<byte> datagram = stackalloc byte[Limit];
        while (true)
        {
            var remaining = deadline - Environment.TickCount64;
            if (remaining <= 0 || !socket.Poll(remaining >= int.MaxValue / 1000 ? -1 : (int)(remaining * 1000), SelectMode.SelectRead))
            {
                return -1;
            }
            var length = socket.Receive(datagram);
            if (length > 0 && datagram[0] is >= 20 and <= 63)
            {
                var copied = Math.Min(length, buffer.Length);
                datagram[..copied].CopyTo(buffer);
                return copied;
            }
        }
    }

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer) => socket.SendTo(buffer, SocketFlags.None, server);

    public void Close()
    {
        // The socket outlives the handshake: rtpload's media and the consent checks use its port.
    }
}
