using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MediaServer.Codecs.Rtp;

namespace MediaServer.LoadGen;

/// <summary>One-way latencies in 1 µs buckets up to 1 s (anything slower lands in the last bucket; the exact maximum is kept apart).</summary>
internal sealed class LatencyHistogram
{
    private const int Buckets = 1_000_000;
    private readonly long[] _counts = new long[Buckets + 1];
    private long _maxMicroseconds;
    private long _count;

    public long Count => Volatile.Read(ref _count);

    public void Record(long microseconds)
    {
        var clamped = Math.Clamp(microseconds, 0, Buckets);
        Interlocked.Increment(ref _counts[clamped]);
        Interlocked.Increment(ref _count);
        var max = Volatile.Read(ref _maxMicroseconds);
        while (microseconds > max)
        {
            var seen = Interlocked.CompareExchange(ref _maxMicroseconds, microseconds, max);
            if (seen == max)
            {
                break;
            }
            max = seen;
        }
    }

    public double MaxMilliseconds => Volatile.Read(ref _maxMicroseconds) / 1000.0;

    /// <summary>The latency at or below which <paramref name="fraction"/> of the samples lie, in ms.</summary>
    public double Percentile(double fraction)
    {
        var total = Count;
        if (total == 0)
        {
            return double.NaN;
        }
        var rank = (long)Math.Ceiling(fraction * total);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return i / 1000.0;
            }
        }
        return MaxMilliseconds;
    }
}

/// <summary>What arrived, counted per source stream (from the probe in the payload) and in total.</summary>
internal sealed class ReceptionCounters(int streams)
{

    public long[] ReceivedPerStream { get; } = new long[streams];
    public LatencyHistogram Latency { get; } = new();
    public long Received;
    public long Foreign;
    public long Rtcp;
    public long WarmUp;
}

/// <summary>
/// A long-lived receive loop per socket (the runtime multiplexes them over epoll); no allocation per datagram, so the load
/// generator stays light next to the server it measures.
/// </summary>
internal static class Receiver
{
    public static Task Start(Socket socket, bool rtcp, ReceptionCounters counters, CancellationToken cancellation) =>
        Task.Run(() => RunAsync(socket, rtcp, counters, cancellation), CancellationToken.None);

    private static async Task RunAsync(Socket socket, bool rtcp, ReceptionCounters counters, CancellationToken cancellation)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(2048, pinned: true);
        var source = new SocketAddress(AddressFamily.InterNetwork);
        while (!cancellation.IsCancellationRequested)
        {
            int received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, source, cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            if (rtcp)
            {
                Interlocked.Increment(ref counters.Rtcp);
                continue;
            }
            Count(buffer.AsSpan(0, received), counters);
        }
    }

    private static void Count(ReadOnlySpan<byte> datagram, ReceptionCounters counters)
    {
        var now = Stopwatch.GetTimestamp();
        if (!RtpPacket.TryParse(datagram, out var packet)
            || !Probe.TryRead(packet.Payload, out var stream, out var sentTicks, out var measured)
            || (uint)stream >= (uint)counters.ReceivedPerStream.Length)
        {
            Interlocked.Increment(ref counters.Foreign);
            return;
        }
        if (!measured)
        {
            Interlocked.Increment(ref counters.WarmUp);
            return;
        }
        Interlocked.Increment(ref counters.ReceivedPerStream[stream]);
        Interlocked.Increment(ref counters.Received);
        counters.Latency.Record((now - sentTicks) * 1_000_000 / Stopwatch.Frequency);
    }
}
