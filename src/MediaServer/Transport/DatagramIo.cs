using MediaServer.Transport.Batched;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MediaServer.Transport;

/// <summary>
/// Which datagram path the media sockets use, chosen once when the host starts (MediaServer:Rtp:BatchedIo) and logged: the
/// batched I/O threads (<see cref="BatchedDatagramIo"/>, Linux) or one async receive loop per socket (the portable path, and
/// the one used when the option is false). <see cref="DatagramReceiveLoop.Start"/> and <see cref="UdpDatagramSender"/> follow
/// <see cref="Batched"/>. Hosts in one process (tests) share one set of threads, stopped with the last user: a host, or a socket
/// registered on them (<see cref="TryJoinBatched"/>), so a socket served by the threads is never left unread because the host
/// that installed them stopped first.
/// </summary>
public static partial class DatagramIo
{
    private static readonly Lock Gate = new();
    private static BatchedDatagramIo? s_batched;
    private static int s_users;

    /// <summary>The batched path, when installed; null means the async loops.</summary>
    public static BatchedDatagramIo? Batched => Volatile.Read(ref s_batched);

    /// <summary>
    /// Installs the batched path (or joins the installed one, whatever its settings) until the returned lease is disposed;
    /// <paramref name="coalesce"/> is <see cref="RtpOptions.IoCoalesceMicroseconds"/>.
    /// </summary>
    public static IDisposable UseBatched(int threads, ILogger logger, TimeSpan coalesce = default)
    {
        lock (Gate)
        {
            s_batched ??= new BatchedDatagramIo(threads, logger, coalesce);
            s_users++;
        }
        return new Lease();
    }

    /// <summary>
    /// The installed batched path and a lease that keeps its threads running until disposed; null when the async loops are in use.
    /// Taken under the same gate as the last lease's release, so the path returned is never one already stopping.
    /// </summary>
    internal static (BatchedDatagramIo Io, IDisposable Lease)? TryJoinBatched()
    {
        lock (Gate)
        {
            if (s_batched is not { } batched)
            {
                return null;
            }
            s_users++;
            return (batched, new Lease());
        }
    }

    private sealed class Lease : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }
            BatchedDatagramIo? stopping = null;
            lock (Gate)
            {
                if (--s_users == 0)
                {
                    stopping = s_batched;
                    Volatile.Write(ref s_batched, null);
                }
            }
            stopping?.Dispose();
        }
    }

    /// <summary>Makes the choice at start, before any leg or the WebRTC port opens a socket, and ends it at stop.</summary>
    internal sealed partial class Selection : IHostedService, IDisposable
    {
        private readonly IDisposable? _lease;

        public Selection(IOptions<RtpOptions> options, ILogger<Selection> logger)
        {
            var rtp = options.Value;
            var threads = rtp.IoThreads > 0 ? rtp.IoThreads : Environment.ProcessorCount;
            if (rtp.BatchedIo && BatchedDatagramIo.IsSupported)
            {
                _lease = UseBatched(threads, logger, TimeSpan.FromMicroseconds(rtp.IoCoalesceMicroseconds));
                LogBatched(logger, Batched!.ThreadCount, rtp.IoCoalesceMicroseconds);
            }
            else
            {
                LogAsync(logger, rtp.BatchedIo ? "this platform has no recvmmsg/sendmmsg path" : "MediaServer:Rtp:BatchedIo is false");
            }
        }

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose() => _lease?.Dispose();

        [LoggerMessage(EventId = 132, Level = LogLevel.Information, Message = "Media datagrams: batched I/O (recvmmsg/sendmmsg) on {Threads} thread(s), coalescing {CoalesceMicroseconds} µs")]
        private static partial void LogBatched(ILogger logger, int threads, int coalesceMicroseconds);

        [LoggerMessage(EventId = 133, Level = LogLevel.Information, Message = "Media datagrams: one async receive loop per socket ({Reason})")]
        private static partial void LogAsync(ILogger logger, string reason);
    }
}
