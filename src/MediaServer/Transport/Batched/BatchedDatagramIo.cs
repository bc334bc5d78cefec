using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace MediaServer.Transport.Batched;

/// <summary>One socket served by an <see cref="IoThread"/>: removed from it when its cancellation fires (the leg closes).</summary>
internal sealed class IoRegistration(Socket socket, IDatagramHandler handler)
{
    public SafeSocketHandle Handle { get; } = socket.SafeHandle;

    public IDatagramHandler Handler { get; } = handler;

    public IoThread? Thread { get; set; }

    public int Slot { get; set; } = -1;

    public volatile bool Closed;

    public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public CancellationTokenRegistration Cancellation { get; set; }
}

/// <summary>
/// The batched datagram path (Linux): a few long-lived I/O threads, about one per core, each owning a share of the media
/// sockets in its own epoll set. A datagram is received with recvmmsg(2), handled inline on the thread that received it (no
/// hand-off to the thread pool, no SocketAsyncEngine), and what the handler sends is queued per sending socket and flushed with
/// sendmmsg(2) when the round ends. <see cref="DatagramReceiveLoop.Start"/> registers here when this is installed; otherwise each
/// socket keeps its own async receive loop (the portable path). Chosen once at start (<see cref="DatagramIo"/>).
/// </summary>
public sealed class BatchedDatagramIo : IDisposable
{
    private readonly IoThread[] _threads;
    private int _disposed;

    /// <param name="threads">I/O threads to start.</param>
    /// <param name="logger">Where the threads log.</param>
    /// <param name="coalesce">How long a thread sleeps after a round that did not fill a batch (<see cref="RtpOptions.IoCoalesceMicroseconds"/>); zero for none.</param>
    public BatchedDatagramIo(int threads, ILogger logger, TimeSpan coalesce = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(coalesce, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(coalesce, TimeSpan.FromSeconds(1));
        if (!LinuxSockets.IsSupported)
        {
            throw new PlatformNotSupportedException("Batched datagram I/O needs Linux on x64 or arm64.");
        }
        _threads = new IoThread[threads];
        for (var i = 0; i < threads; i++)
        {
            _threads[i] = new IoThread(i, logger, coalesce);
        }
        foreach (var thread in _threads)
        {
            thread.Start();
        }
    }

    /// <summary>Whether this platform can run the batched path.</summary>
    public static bool IsSupported => LinuxSockets.IsSupported;

    public int ThreadCount => _threads.Length;

    /// <summary>Rounds after which a thread slept to coalesce, over every thread.</summary>
    public long CoalescePauses
    {
        get
        {
            long pauses = 0;
            foreach (var thread in _threads)
            {
                pauses += Volatile.Read(ref thread.Pauses);
            }
            return pauses;
        }
    }

    /// <summary>Datagrams received, receive calls that returned some, receive errors, oversize drops, over every thread.</summary>
    public (long Datagrams, long Batches, long Errors, long Oversize) ReceiveCounts
    {
        get
        {
            long datagrams = 0, batches = 0, errors = 0, oversize = 0;
            foreach (var thread in _threads)
            {
                datagrams += Volatile.Read(ref thread.Datagrams);
                batches += Volatile.Read(ref thread.Batches);
                errors += Volatile.Read(ref thread.ReceiveErrors);
                oversize += Volatile.Read(ref thread.Oversize);
            }
            return (datagrams, batches, errors, oversize);
        }
    }

    /// <summary>Datagrams sent through sendmmsg, sendmmsg calls, and datagrams the kernel refused, over every thread.</summary>
    public (long Sent, long Calls, long Drops) SendCounts
    {
        get
        {
            long sent = 0, calls = 0, drops = 0;
            foreach (var thread in _threads)
            {
                sent += Volatile.Read(ref thread.Sent);
                calls += Volatile.Read(ref thread.SendCalls);
                drops += Volatile.Read(ref thread.SendDrops);
            }
            return (sent, calls, drops);
        }
    }

    /// <summary>Sockets served now, over every thread.</summary>
    public int Sockets
    {
        get
        {
            var count = 0;
            foreach (var thread in _threads)
            {
                count += thread.Count;
            }
            return count;
        }
    }

    /// <summary>
    /// Serves <paramref name="socket"/> on the least loaded thread (or on thread <paramref name="thread"/> modulo the count,
    /// for a socket group that wants one member per thread) until <paramref name="stop"/> fires; the task ends then. The
    /// socket must stay open until then (closing it first only leaves the thread a dead entry, which is skipped).
    /// </summary>
    public Task Register(Socket socket, IDatagramHandler handler, CancellationToken stop, int? thread = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var registration = new IoRegistration(socket, handler);
        var target = _threads[0];
        if (thread is { } index)
        {
            target = _threads[(int)((uint)index % (uint)_threads.Length)];
        }
        else
        {
            foreach (var candidate in _threads)
            {
                if (candidate.Count < target.Count)
                {
                    target = candidate;
                }
            }
        }
        registration.Thread = target;
        if (stop.IsCancellationRequested || !target.Add(registration))
        {
            registration.Ended.TrySetResult();
            return registration.Ended.Task;
        }
        registration.Cancellation = stop.Register(static state => Unregister((IoRegistration)state!), registration);
        return registration.Ended.Task;
    }

    private static void Unregister(IoRegistration registration)
    {
        registration.Closed = true;
        registration.Thread?.Remove(registration);
        registration.Ended.TrySetResult();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        foreach (var thread in _threads)
        {
            thread.Dispose();
        }
    }
}
