using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace MediaServer.Tests.Recording.Review;

/// <summary>
/// UDP sockets on 127.0.0.1 in RTP/RTCP pairs (port, port + 1, chosen free at run time) and one thread that stamps every
/// datagram with the wall-clock time it arrived, as the server's recorder would.
/// </summary>
internal sealed class UdpCapture : IDisposable
{
    public sealed record Datagram(long WallMicroseconds, string Label, bool Rtcp, byte[] Bytes);

    private readonly List<(Socket Socket, string Label, bool Rtcp)> _sockets = [];
    private readonly List<Datagram> _received = [];
    private readonly long _wallOrigin = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Stopwatch _quiet = Stopwatch.StartNew();
    private Thread? _thread;
    private volatile bool _stop;

    /// <summary>Binds an RTP port and the RTCP port above it; returns the RTP port.</summary>
    public int AddPair(string label)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            var rtp = NewSocket();
            rtp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)rtp.LocalEndPoint!).Port;
            var rtcp = NewSocket();
            try
            {
                rtcp.Bind(new IPEndPoint(IPAddress.Loopback, port + 1));
                _sockets.Add((rtp, label, false));
                _sockets.Add((rtcp, label, true));
                return port;
            }
            catch (SocketException)
            {
                rtp.Dispose();
                rtcp.Dispose();
            }
        }

        throw new InvalidOperationException("no free pair of UDP ports");
    }

    public void Start()
    {
        _thread = new Thread(Receive) { IsBackground = true, Name = "udp-capture" };
        _thread.Start();
    }

    public TimeSpan Quiet
    {
        get
        {
            lock (_received)
            {
                return _quiet.Elapsed;
            }
        }
    }

    public List<Datagram> Stop()
    {
        _stop = true;
        _thread?.Join();
        lock (_received)
        {
            return [.. _received];
        }
    }

    private void Receive()
    {
        var buffer = new byte[65536];
        while (!_stop)
        {
            var readable = _sockets.Select(s => s.Socket).ToList();
            Socket.Select(readable, null, null, 20_000);
            foreach (var socket in readable)
            {
                int n = socket.Receive(buffer);
                long wall = _wallOrigin + (_clock.Elapsed.Ticks / TimeSpan.TicksPerMicrosecond);
                var (_, label, rtcp) = _sockets.First(s => s.Socket == socket);
                lock (_received)
                {
                    _received.Add(new Datagram(wall, label, rtcp, buffer.AsSpan(0, n).ToArray()));
                    _quiet.Restart();
                }
            }
        }
    }

    private static Socket NewSocket() =>
        new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 4 << 20 };

    public void Dispose()
    {
        _stop = true;
        _thread?.Join();
        foreach (var (socket, _, _) in _sockets)
        {
            socket.Dispose();
        }
    }
}
