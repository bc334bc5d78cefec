using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace MediaServer.Transport;

/// <summary>
/// One long-lived receive loop per socket. The buffer is pinned and reused, the source address object is reused, and
/// <see cref="Socket.ReceiveFromAsync(Memory{byte}, SocketFlags, SocketAddress, CancellationToken)"/> completes without
/// allocating in steady state, so a datagram costs no garbage between the kernel and the handler. The loop ends when the socket
/// is closed (the pending receive fails with OperationAborted or ObjectDisposed) or when cancellation is seen between datagrams.
/// </summary>
public static partial class DatagramReceiveLoop
{
    /// <summary>Larger than any RTP packet we relay (MTU-sized); a longer datagram is cut and fails validation.</summary>
    public const int BufferSize = 2048;

    public static Task Start(Socket socket, IDatagramHandler handler, ILogger logger, CancellationToken cancellation) =>
        Task.Run(() => RunAsync(socket, handler, logger, cancellation), CancellationToken.None);

    private static async Task RunAsync(Socket socket, IDatagramHandler handler, ILogger logger, CancellationToken cancellation)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(BufferSize, pinned: true);
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
            catch (SocketException e)
            {
                // ICMP errors reported on the socket (connection reset/refused) say nothing about the next datagram.
                LogReceiveError(logger, e.SocketErrorCode);
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
