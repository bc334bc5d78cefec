using System.Net;
using MediaServer.Transport;

namespace MediaServer.Tests.WebRtc;

/// <summary>Delivers what one side sends to a callback (the other side's queue), optionally only the first N datagrams.</summary>
internal sealed class CallbackSender(Func<byte[], bool> deliver) : IDatagramSender
{
    private int _sent;

    /// <summary>Datagrams beyond this count are swallowed (a peer that goes silent). Unlimited by default.</summary>
    public int Limit { get; set; } = int.MaxValue;

    public int Sent => Volatile.Read(ref _sent);

    public bool TrySend(ReadOnlySpan<byte> datagram, SocketAddress destination)
    {
        if (Interlocked.Increment(ref _sent) > Limit)
        {
            return true;
        }
        return deliver(datagram.ToArray());
    }
}
