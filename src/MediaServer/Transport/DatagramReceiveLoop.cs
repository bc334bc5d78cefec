using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace MediaServer.Transport;

/// <summary>
/// One long-lived receive loop per socket. The buffer is pinned and reused, the source address object is reused, and
/// <see cref="Socket.ReceiveFromAsync(Memory{byte}, SocketFlags, SocketAddress, CancellationToken)"/> completes without
/// allocating in steady state, so a datagram costs no garbage between the kernel and the handler. The loop ends when the socket
/// is closed (the pending receive fails with OperationAborted or ObjectDisposed) or when cancellation is seen between datagrams.
/// <para>
/// A datagram longer than <see cref="BufferSize"/> is never handed on cut short: the buffer is one byte longer than the largest
/// datagram accepted, so the kernel's silent truncation of a longer one (recvfrom(2) without MSG_TRUNC returns the buffer's
/// length) shows as a receive that filled the whole buffer, and Windows' WSAEMSGSIZE as <see cref="SocketError.MessageSize"/>.
/// Either way the handler is told <see cref="IDatagramHandler.OnOversize"/> and counts the drop.
/// </para>
/// </summary>
public static partial class DatagramReceiveLoop
{
    /// <summary>The largest datagram accepted (larger than any MTU-sized RTP packet we relay); a longer one is dropped whole.</summary>
    public const int BufferSize = 2048;

    /// <summary>
    /// Serves <paramref name="socket"/> until <paramref name="cancellation"/> fires or the socket closes: on the batched I/O
    /// threads when <see cref="DatagramIo.Batched"/> is installed, else on a loop of its own. Cancel before closing the socket.
    /// A socket on the batched threads holds them until it is cancelled, so they cannot stop under it. <paramref name="ioThread"/>
    /// names the batched thread to serve it (modulo their count); null takes the least loaded.
    /// </summary>
    public static Task Start(Socket socket, IDatagramHandler handler, ILogger logger, CancellationToken cancellation, int? ioThread = null)
    {
        if (DatagramIo.TryJoinBatched() is not { } joined)
        {
            return Task.Run(() => RunAsync(socket, handler, logger, cancellation), CancellationToken.None);
        }
        Task served;
        try
        {
            served = joined.Io.Register(socket, handler, cancellation, ioThread);
        }
        catch
        {
            joined.Lease.Dispose();
            throw;
        }
        _ = served.ContinueWith(
            static (_, lease) => ((IDisposable)lease!).Dispose(),
            joined.Lease, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return served;
    }

    private static async Task RunAsync(Socket socket, IDatagramHandler handler, ILogger logger, CancellationToken cancellation)
    {
        // One byte more than the largest datagram accepted: a receive that fills it was truncated by the kernel.
        var buffer = GC.AllocateUninitializedArray<byte>(BufferSize + 1, pinned: true);
        var source = new SocketAddress(socket.AddressFamily);
        while (!cancellation.IsCancellationRequested)
        {
            int received;
            try
            {
                // No cancellation token here: registering one per receive costs; closing the socket ends the wait instead.
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, source, CancellationToken.None).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted or SocketError.NotSocket)
            {
                break;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.MessageSize)
            {
                handler.OnOversize(source);
                continue;
            }
            catch (SocketException e)
            {
                // ICMP errors reported on the socket (connection reset/refused) say nothing about the next datagram.
                LogReceiveError(logger, e.SocketErrorCode);
                continue;
            }

            if (received > BufferSize)
            {
                handler.OnOversize(source);
                continue;
            }

            try
            {
                handler.OnDatagram(buffer.AsSpan(0, received), source);
            }
            catch (Exception e)
            {
                // A handler bug must not silence the port for the rest of the visit.
                LogHandlerFault(logger, e);
            }
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "UDP receive error {Error}; the loop goes on")]
    private static partial void LogReceiveError(ILogger logger, SocketError error);

    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "Datagram handler threw; the datagram is dropped")]
    private static partial void LogHandlerFault(ILogger logger, Exception exception);
}
