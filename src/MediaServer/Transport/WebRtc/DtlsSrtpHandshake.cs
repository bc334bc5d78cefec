using System.Net;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Tls;

namespace MediaServer.Transport.WebRtc;

/// <summary>
/// The server side of one leg's DTLS 1.2 handshake with use_srtp (RFC 6347, RFC 5764, RFC 5763 §5).
/// <para>
/// Feeding: the shared port's receive loop passes every datagram from this leg's remote address whose first byte is 20–63
/// (RFC 7983 §7) to <see cref="TryEnqueue"/>, which copies it and never blocks.
/// </para>
/// <para>
/// Threads: BouncyCastle's handshake blocks, so <see cref="RunAsync"/> runs it on a dedicated thread (never a thread-pool
/// thread), under a deadline (<see cref="DtlsOptions.HandshakeTimeout"/>) that closes the transport, and only while fewer than
/// <see cref="DtlsOptions.MaxConcurrentHandshakes"/> are running; otherwise the result is <see cref="DtlsFailure.Refused"/> at
/// once. Results are values: no exception reaches the caller.
/// </para>
/// <para>
/// After success: the result is delivered at once (SRTP can start), the handshake's slot is free again, and the same thread
/// keeps reading this leg's DTLS records for <see cref="DtlsOptions.PostHandshakeLinger"/> (while fewer than
/// <see cref="DtlsOptions.MaxLingering"/> linger; else it stops at once), because if our last flight (ChangeCipherSpec,
/// Finished) is lost the client retransmits its own and BouncyCastle answers only while someone reads (RFC 6347 §4.2.4); a
/// close_notify is noted in <see cref="RemoteClosed"/>. Then the queue is closed and later records are dropped (counted). We
/// send close_notify only when the server itself closes the leg (<see cref="SendCloseNotify"/>): WebRTC peers treat it as the
/// end of the DTLS association, hence of the media.
/// </para>
/// </summary>
public sealed partial class DtlsSrtpHandshake : IDisposable
{
    private readonly DtlsSrtpServer _server;
    private readonly QueuedDatagramTransport _transport;
    private readonly SrtpTlsServer _peer;
    private readonly object _gate = new();
    private readonly string _remoteText;
    private Task<DtlsResult>? _run;
    private volatile bool _timedOut;
    private volatile bool _cancelled;
    private volatile bool _disposed;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal DtlsSrtpHandshake(DtlsSrtpServer server, QueuedDatagramTransport transport, SrtpTlsServer peer, SocketAddress remote)
    {
        _server = server;
        _transport = transport;
        _peer = peer;
        Remote = remote;
        _remoteText = DtlsSrtpServer.Describe(remote);
        // BC keeps waiting out the receive after close_notify; closing our queue ends the linger at once.
        _peer.RemoteCloseReceived = transport.Close;
    }

    /// <summary>The peer's address (our own copy).</summary>
    public SocketAddress Remote { get; }

    /// <summary>Datagrams refused by <see cref="TryEnqueue"/>: queue full, too long, or after the handshake stopped reading.</summary>
    public long DroppedDatagrams => _transport.Dropped;

    /// <summary>Records the sender could not send (DTLS retransmission covers them).</summary>
    public long SendFailures => _transport.SendFailures;

    /// <summary>True once the peer sent close_notify while we were still reading.</summary>
    public bool RemoteClosed => _peer.RemoteClosed;

    /// <summary>
    /// Completes when this handshake has stopped reading for good (failure, end of the linger, close_notify, Dispose), and its
    /// slot under <see cref="DtlsOptions.MaxConcurrentHandshakes"/> is free. Never faults; for a handshake never run, completes on Dispose.
    /// </summary>
    public Task Stopped => _stopped.Task;

    /// <summary>
    /// Queues one DTLS datagram from <see cref="Remote"/> for the handshake thread. Copies; never blocks; false when dropped
    /// (queue full, datagram longer than <see cref="DtlsOptions.ReceiveLimit"/>, or no longer reading).
    /// </summary>
    public bool TryEnqueue(ReadOnlySpan<byte> datagram) => _transport.TryEnqueue(datagram);

    /// <summary>
    /// Starts the handshake (once; later calls return the same task) and completes with its result. Continuations never run on
    /// the handshake thread. Cancelling <paramref name="cancellationToken"/> ends the handshake (or the linger after it).
    /// </summary>
    public Task<DtlsResult> RunAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_run is not null)
            {
                return _run;
            }
            if (_disposed || cancellationToken.IsCancellationRequested)
            {
                _transport.Close();
                _stopped.TrySetResult();
                return _run = Task.FromResult(DtlsResult.Failed(DtlsFailure.Cancelled, "cancelled before the handshake started"));
            }
            if (!_server.TryAcquireSlot())
            {
                _transport.Close();
                _stopped.TrySetResult();
                LogRefused(_server.Logger, _remoteText, _server.Options.MaxConcurrentHandshakes);
                return _run = Task.FromResult(DtlsResult.Failed(
                    DtlsFailure.Refused, $"{_server.Options.MaxConcurrentHandshakes} DTLS handshakes are already running"));
            }
            var completion = new TaskCompletionSource<DtlsResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            _run = completion.Task;
            try
            {
                // LongRunning gives the blocking handshake a thread of its own instead of starving the pool.
                _ = Task.Factory.StartNew(
                    () => Run(completion, cancellationToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }
            catch (Exception e)
            {
                _server.ReleaseSlot();
                _transport.Close();
                _stopped.TrySetResult();
                completion.TrySetResult(DtlsResult.Failed(DtlsFailure.Refused, $"could not start the handshake thread: {e.Message}"));
            }
            return _run;
        }
    }

    private DtlsTransport? _established;

    /// <summary>
    /// Ends the DTLS association from our side with close_notify (RFC 5246 §7.2.1), when the server closes the leg (terminate,
    /// scheduled end, a newer leg): browsers then close the peer connection at once instead of waiting for ICE consent to
    /// fail, so the person sees that the visit ended within a second. Does nothing before the handshake succeeded.
    /// </summary>
    public void SendCloseNotify()
    {
        var dtls = Interlocked.Exchange(ref _established, null);
        if (dtls is null)
        {
            return;
        }
        _transport.AllowFinalSend();
        try
        {
            dtls.Close();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or Org.BouncyCastle.Tls.TlsException)
        {
            // The peer may be gone already; there is nothing left to tell it.
        }
    }

    /// <summary>Stops reading: a running handshake ends with <see cref="DtlsFailure.Cancelled"/>, a lingering one stops.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _transport.Close();
            if (_run is null)
            {
                _stopped.TrySetResult();
            }
        }
    }

    private void Run(TaskCompletionSource<DtlsResult> completion, CancellationToken cancellationToken)
    {
        DtlsTransport? dtls = null;
        var released = false;
        try
        {
            DtlsResult result;
            using (var deadline = new CancellationTokenSource(_server.Options.HandshakeTimeout))
            using (cancellationToken.Register(static state => ((DtlsSrtpHandshake)state!).Stop(cancelled: true), this))
            {
                var timeoutRegistration = deadline.Token.Register(static state => ((DtlsSrtpHandshake)state!).Stop(cancelled: false), this);
                try
                {
                    dtls = new DtlsServerProtocol().Accept(_peer, _transport);
                    result = _peer.Keys is { } keys
                        ? DtlsResult.Success(keys)
                        : Fail(DtlsFailure.ProtocolError, "the handshake completed without SRTP keys");
                }
                catch (Exception e)
                {
                    result = Classify(e);
                }
                finally
                {
                    // Waits for a running timeout callback, so a late timer cannot close a transport we go on reading.
                    timeoutRegistration.Dispose();
                }

                if (!result.Succeeded || dtls is null)
                {
                    // The slot comes back before the caller hears of the failure, so it may retry at once.
                    Release(ref released);
                    completion.TrySetResult(result);
                    return;
                }
                LogSucceeded(_server.Logger, _remoteText, result.Keys!.Profile);
                Volatile.Write(ref _established, dtls);
                // The slot bounds handshakes at work; the linger that follows is bounded on its own, so joins in a burst are
                // not refused for want of slots held by finished handshakes that only wait.
                ReleaseSlot(ref released);
                completion.TrySetResult(result);
                if (_server.Options.PostHandshakeLinger > TimeSpan.Zero && _server.TryAcquireLinger())
                {
                    try
                    {
                        Linger(dtls);
                    }
                    finally
                    {
                        _server.ReleaseLinger();
                    }
                }
            }
        }
        catch (Exception e)
        {
            // Nothing above should throw; if something does, the caller still gets a value and the slot comes back.
            Release(ref released);
            completion.TrySetResult(Fail(DtlsFailure.ProtocolError, $"internal error: {e.Message}"));
        }
        finally
        {
            ReleaseSlot(ref released);
            _transport.Close();
            _stopped.TrySetResult();
        }
    }

    private void Stop(bool cancelled)
    {
        if (cancelled)
        {
            _cancelled = true;
        }
        else
        {
            _timedOut = true;
        }
        _transport.Close();
    }

    private void Release(ref bool released)
    {
        if (!released)
        {
            _transport.Close();
        }
        ReleaseSlot(ref released);
    }

    /// <summary>Gives the handshake's slot back (once) without closing the transport, which a linger goes on reading.</summary>
    private void ReleaseSlot(ref bool released)
    {
        if (!released)
        {
            released = true;
            _server.ReleaseSlot();
        }
    }

    private void Linger(DtlsTransport dtls)
    {
        var lingerMillis = (long)_server.Options.PostHandshakeLinger.TotalMilliseconds;
        if (lingerMillis <= 0)
        {
            return;
        }
        var buffer = new byte[dtls.GetReceiveLimit()];
        var deadline = Environment.TickCount64 + lingerMillis;
        var earlyReturns = 0;
        while (!_peer.RemoteClosed)
        {
            var remaining = deadline - Environment.TickCount64;
            if (remaining <= 0)
            {
                break;
            }
            var started = Environment.TickCount64;
            try
            {
                // Answers a retransmitted client flight inside BC; application data has no use here (no data channels) and is dropped.
                if (dtls.Receive(buffer, 0, buffer.Length, (int)Math.Min(remaining, int.MaxValue)) >= 0)
                {
                    earlyReturns = 0;
                    continue;
                }
            }
            catch (Exception)
            {
                // Our transport was closed (Dispose, cancellation) or the association failed: either way, stop reading.
                break;
            }
            // -1 long before the wait elapsed means BC considers the transport closed; do not spin on it.
            if (Environment.TickCount64 - started < remaining / 2 && ++earlyReturns >= 3)
            {
                break;
            }
        }
    }

    private DtlsResult Classify(Exception e)
    {
        if (_peer.FingerprintFailure is { } mismatch)
        {
            return Fail(DtlsFailure.FingerprintMismatch, mismatch);
        }
        if (_disposed || _cancelled)
        {
            return Fail(DtlsFailure.Cancelled, "the handshake was cancelled");
        }
        if (_timedOut || e is TlsTimeoutException)
        {
            return Fail(DtlsFailure.Timeout,
                $"no completed DTLS handshake within {_server.Options.HandshakeTimeout.TotalSeconds:0.###} s" +
                (_peer.LastAlert is { } alert ? $" (last alert: {alert})" : ""));
        }
        return Fail(DtlsFailure.ProtocolError, _peer.NegotiationFailure ?? _peer.LastAlert ?? $"{e.GetType().Name}: {e.Message}");
    }

    private DtlsResult Fail(DtlsFailure failure, string reason)
    {
        LogFailed(_server.Logger, _remoteText, failure, reason);
        return DtlsResult.Failed(failure, reason);
    }

    [LoggerMessage(EventId = 120, Level = LogLevel.Information, Message = "DTLS-SRTP handshake with {Remote} succeeded, SRTP profile 0x{Profile:X4}")]
    private static partial void LogSucceeded(ILogger logger, string remote, int profile);

    [LoggerMessage(EventId = 121, Level = LogLevel.Warning, Message = "DTLS-SRTP handshake with {Remote} failed: {Failure}, {Reason}")]
    private static partial void LogFailed(ILogger logger, string remote, DtlsFailure failure, string reason);

    [LoggerMessage(EventId = 122, Level = LogLevel.Warning, Message = "DTLS-SRTP handshake with {Remote} refused: {Max} already running")]
    private static partial void LogRefused(ILogger logger, string remote, int max);
}
