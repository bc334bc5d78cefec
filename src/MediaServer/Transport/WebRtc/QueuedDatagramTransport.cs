using System.Buffers;
using System.Net;
using Org.BouncyCastle.Tls;

namespace MediaServer.Transport.WebRtc;

/// <summary>
/// BouncyCastle's blocking <see cref="DatagramTransport"/> over a bounded in-memory queue. The shared port's receive loop pushes
/// a leg's DTLS records in with <see cref="TryEnqueue"/> (never blocks: copies into a pooled buffer, or drops and counts when the
/// queue is full); the handshake thread takes them out in <see cref="Receive(Span{byte}, int)"/>, waiting with the timeout BC asks
/// for. Outgoing records go straight to the shared socket's sender. <see cref="Close"/> wakes a waiting receive, which then throws,
/// so a handshake blocked on a silent peer ends as soon as its deadline closes the transport.
/// </summary>
internal sealed class QueuedDatagramTransport : DatagramTransport
{
    private readonly Queue<(byte[] Buffer, int Length)> _queue;
    private readonly int _capacity;
    private readonly int _receiveLimit;
    private readonly int _sendLimit;
    private readonly IDatagramSender _sender;
    private readonly SocketAddress _remote;
    private long _dropped;
    private long _sendFailures;
    private bool _closed;

    public QueuedDatagramTransport(IDatagramSender sender, SocketAddress remote, int capacity, int receiveLimit, int sendLimit)
    {
        _sender = sender;
        _remote = remote;
        _capacity = capacity;
        _receiveLimit = receiveLimit;
        _sendLimit = sendLimit;
        _queue = new Queue<(byte[], int)>(capacity);
    }

    private object Gate => _queue;

    public long Dropped => Volatile.Read(ref _dropped);

    public long SendFailures => Volatile.Read(ref _sendFailures);

    public bool IsClosed
    {
        get
        {
            lock (Gate)
            {
                return _closed;
            }
        }
    }

    /// <summary>Copies one datagram in. False (and counted) when the queue is full, the datagram is too long, or the transport is closed.</summary>
    public bool TryEnqueue(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length == 0 || datagram.Length > _receiveLimit)
        {
            Interlocked.Increment(ref _dropped);
            return false;
        }
        lock (Gate)
        {
            if (_closed || _queue.Count >= _capacity)
            {
                Interlocked.Increment(ref _dropped);
                return false;
            }
            var buffer = ArrayPool<byte>.Shared.Rent(datagram.Length);
            datagram.CopyTo(buffer);
            _queue.Enqueue((buffer, datagram.Length));
            Monitor.Pulse(Gate);
            return true;
        }
    }

    public int GetReceiveLimit() => _receiveLimit;

    public int GetSendLimit() => _sendLimit;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    /// <summary>Returns the datagram's length, or -1 when nothing came within <paramref name="waitMillis"/> (0 = no limit, BC's convention).</summary>
    public int Receive(Span<byte> buffer, int waitMillis)
    {
        (byte[] Buffer, int Length) item;
        lock (Gate)
        {
            var deadline = waitMillis > 0 ? Environment.TickCount64 + waitMillis : long.MaxValue;
            while (_queue.Count == 0)
            {
                ThrowIfClosed();
                var remaining = deadline - Environment.TickCount64;
                if (remaining <= 0)
                {
                    return -1;
                }
                Monitor.Wait(Gate, remaining >= int.MaxValue ? Timeout.Infinite : (int)remaining);
            }
            ThrowIfClosed();
            item = _queue.Dequeue();
        }
        // BC sizes its buffer from GetReceiveLimit and TryEnqueue refuses anything longer, so this never truncates.
        var length = Math.Min(item.Length, buffer.Length);
        item.Buffer.AsSpan(0, length).CopyTo(buffer);
        ArrayPool<byte>.Shared.Return(item.Buffer);
        return length;
    }

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer)
    {
        if (IsClosed)
        {
            // After close nothing may reach the peer: in particular no alert from a handshake we abandoned on our side.
            return;
        }
        if (!_sender.TrySend(buffer, _remote))
        {
            // A lost datagram is what DTLS retransmission is for (RFC 6347 §4.2.4); throwing would abort the handshake.
            Interlocked.Increment(ref _sendFailures);
        }
    }

    /// <summary>Idempotent; wakes any waiting receive and returns queued buffers to the pool.</summary>
    public void Close()
    {
        lock (Gate)
        {
            if (_closed)
            {
                return;
            }
            _closed = true;
            while (_queue.Count > 0)
            {
                ArrayPool<byte>.Shared.Return(_queue.Dequeue().Buffer);
            }
            Monitor.PulseAll(Gate);
        }
    }

    private void ThrowIfClosed()
    {
        if (_closed)
        {
            // Not TlsTimeoutException: BC's record layer takes that for "nothing arrived yet" and keeps waiting until its own
            // handshake timeout, so a closed transport would hold the thread for the full deadline.
            throw new ObjectDisposedException(nameof(QueuedDatagramTransport), "The DTLS transport was closed.");
        }
    }
}
