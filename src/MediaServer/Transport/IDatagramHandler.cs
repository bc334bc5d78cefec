using System.Net;

namespace MediaServer.Transport;

/// <summary>Receives every datagram of one socket, on that socket's receive loop. Must not throw and must not block.</summary>
public interface IDatagramHandler
{
    /// <param name="datagram">The loop's own buffer: valid only during the call, free to rewrite in place.</param>
    /// <param name="source">Reused by the loop for the next receive: copy it to keep it.</param>
    void OnDatagram(Span<byte> datagram, SocketAddress source);

    /// <summary>
    /// A datagram longer than <see cref="DatagramReceiveLoop.BufferSize"/> arrived and was dropped unread (never handed on
    /// truncated): count it. <paramref name="source"/> is as for <see cref="OnDatagram"/>, and may be empty on some platforms.
    /// </summary>
    void OnOversize(SocketAddress source);
}
