using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace MediaServer.Testing.Rtp;

public sealed record ReceivedPacket(long ArrivalTimestamp, IPEndPoint From, RtpHeader Header, byte[] Payload)
{
    /// <summary>How long before <paramref name="stopwatchTimestamp"/> this arrived (negative: after it).</summary>
    public TimeSpan ArrivedBefore(long stopwatchTimestamp) => Stopwatch.GetElapsedTime(ArrivalTimestamp, stopwatchTimestamp);
}

/// <summary>
/// Listens where a client said it receives (an offer's m-line port, and port+1 for RTCP) and keeps every RTP packet
/// with its monotonic arrival time, so a test can count, inspect payloads, and say when the last one came.
/// </summary>
public sealed class RtpReceiver : IAsyncDisposable
{
    private readonly Socket _rtp;
    private readonly Socket _rtcp;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<ReceivedPacket> _packets = [];
    private readonly object _gate = new();
    private readonly Task _rtpLoop;
    private readonly Task _rtcpLoop;
    private long _rtcpCount;
    private long _unparsable;

    /// <param name="address">The address to listen on (default loopback 127.0.0.1); e.g. 127.0.0.2 to play a third host.</param>
    public RtpReceiver(int port, IPAddress? address = null)
    {
        Port = port;
        _rtp = Bind(address ?? IPAddress.Loopback, port);
        _rtcp = Bind(address ?? IPAddress.Loopback, port + 1);
        _rtpLoop = Task.Run(() => ReceiveLoopAsync(_rtp, isRtcpPort: false));
        _rtcpLoop = Task.Run(() => ReceiveLoopAsync(_rtcp, isRtcpPort: true));
    }

    public int Port { get; }

    /// <summary>The socket RTP arrives on, for a symmetric client that sends from it too.</summary>
    public Socket RtpSocket => _rtp;

    public long RtpCount
    {
        get
        {
            lock (_gate)
            {
                return _packets.Count;
            }
        }
    }

    /// <summary>RTCP on port+1, or muxed on the RTP port (RFC 5761).</summary>
    public long RtcpCount => Interlocked.Read(ref _rtcpCount);

    private const int MaxKeptRtcp = 512;
    private readonly List<byte[]> _rtcpDatagrams = [];

    /// <summary>The RTCP datagrams received so far (the first 512), as they arrived.</summary>
    public IReadOnlyList<byte[]> RtcpDatagrams
    {
        get
        {
            lock (_gate)
            {
                return [.. _rtcpDatagrams];
            }
        }
    }

    /// <summary>Datagrams on the RTP port that are neither RTP nor RTCP.</summary>
    public long UnparsableCount => Interlocked.Read(ref _unparsable);

    public IReadOnlyList<ReceivedPacket> Packets
    {
        get
        {
            lock (_gate)
            {
                return [.. _packets];
            }
        }
    }

    public ReceivedPacket? LastPacket
    {
        get
        {
            lock (_gate)
            {
                return _packets.Count == 0 ? null : _packets[^1];
            }
        }
    }

    public Task WaitForRtpAsync(long count, TimeSpan timeout, string what) =>
        Poll.UntilAsync(() => RtpCount >= count, timeout, $"{what}: {count} RTP packets on port {Port} (have {RtpCount})", TimeSpan.FromMilliseconds(20));

    public override string ToString() => $"port {Port}: {RtpCount} RTP, {RtcpCount} RTCP, {UnparsableCount} other";

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _rtp.Dispose();
        _rtcp.Dispose();
        await Task.WhenAll(_rtpLoop, _rtcpLoop);
        _stop.Dispose();
    }

    private static Socket Bind(IPAddress address, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(address, port));
        return socket;
    }

    private async Task ReceiveLoopAsync(Socket socket, bool isRtcpPort)
    {
        var buffer = new byte[2048];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult result;
            try
            {
                result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // ICMP errors surface here on some platforms; keep listening.
                continue;
            }

            var arrival = Stopwatch.GetTimestamp();
            var datagram = buffer.AsSpan(0, result.ReceivedBytes);
            if (isRtcpPort || RtpHeader.LooksLikeRtcp(datagram))
            {
                Interlocked.Increment(ref _rtcpCount);
                lock (_gate)
                {
                    if (_rtcpDatagrams.Count < MaxKeptRtcp)
                    {
                        _rtcpDatagrams.Add(datagram.ToArray());
                    }
                }
                continue;
            }

            if (!RtpHeader.TryRead(datagram, out var header, out var payloadOffset))
            {
                Interlocked.Increment(ref _unparsable);
                continue;
            }

            var packet = new ReceivedPacket(arrival, (IPEndPoint)result.RemoteEndPoint, header, datagram[payloadOffset..].ToArray());
            lock (_gate)
            {
                _packets.Add(packet);
            }
        }
    }
}
