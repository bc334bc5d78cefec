using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace MediaServer.Transport;

/// <summary>A bound RTP/RTCP socket pair on an even port and the next odd one (RFC 3550 §11).</summary>
public sealed class UdpPortPair : IPlainRtpPorts
{
    private readonly PortAllocator _owner;
    private int _disposed;

    internal UdpPortPair(PortAllocator owner, Socket rtp, Socket rtcp, int rtpPort)
    {
        _owner = owner;
        Rtp = rtp;
        Rtcp = rtcp;
        RtpPort = rtpPort;
    }

    public Socket Rtp { get; }
    public Socket Rtcp { get; }
    public int RtpPort { get; }
    public int RtcpPort => RtpPort + 1;

    /// <summary>Null: an m-line on its own pair learns its client's sending port from the first packet.</summary>
    public SocketAddress? RtpSource => null;

    public SocketAddress? RtcpSource => null;

    /// <summary>A receive loop per socket (or their place on the batched I/O threads), ended by <paramref name="stop"/>.</summary>
    public void Start(IDatagramHandler rtp, IDatagramHandler rtcp, ILogger logger, CancellationToken stop)
    {
        DatagramReceiveLoop.Start(Rtp, rtp, logger, stop);
        DatagramReceiveLoop.Start(Rtcp, rtcp, logger, stop);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        Rtp.Dispose();
        Rtcp.Dispose();
        _owner.Release(RtpPort);
    }
}

/// <summary>
/// Hands out even/odd port pairs from the configured range. A pair whose ports another process holds is skipped, so the
/// server shares the range gracefully with whatever else runs on the machine.
/// </summary>
public sealed class PortAllocator
{
    private readonly IPAddress _address;
    private readonly int _first;
    private readonly bool[] _inUse;
    private readonly Lock _lock = new();
    private int _next;

    public PortAllocator(IPAddress address, int portMin, int portMax)
    {
        if (portMin < 1 || portMax > 65535 || portMax <= portMin)
        {
            throw new ArgumentException($"The RTP port range {portMin}-{portMax} is not a valid range.");
        }
        _address = address;
        _first = portMin % 2 == 0 ? portMin : portMin + 1;
        _inUse = new bool[Math.Max(0, (portMax - _first + 1) / 2)];
        if (_inUse.Length == 0)
        {
            throw new ArgumentException($"The RTP port range {portMin}-{portMax} holds no even/odd pair.");
        }
    }

    public IPAddress Address => _address;

    public int Capacity => _inUse.Length;

    public int InUse
    {
        get
        {
            lock (_lock)
            {
                var count = 0;
                foreach (var used in _inUse)
                {
                    count += used ? 1 : 0;
                }
                return count;
            }
        }
    }

    /// <summary>Binds the next free pair, or returns null when the range is exhausted.</summary>
    public UdpPortPair? Allocate()
    {
        lock (_lock)
        {
            for (var tried = 0; tried < _inUse.Length; tried++)
            {
                var index = (_next + tried) % _inUse.Length;
                if (_inUse[index])
                {
                    continue;
                }
                var port = _first + (index * 2);
                var rtp = TryBind(port);
                if (rtp is null)
                {
                    continue;
                }
                var rtcp = TryBind(port + 1);
                if (rtcp is null)
                {
                    rtp.Dispose();
                    continue;
                }
                _inUse[index] = true;
                // Round-robin so that a port just released is not reused at once (late packets of the old leg).
                _next = (index + 1) % _inUse.Length;
                return new UdpPortPair(this, rtp, rtcp, port);
            }
            return null;
        }
    }

    internal void Release(int rtpPort)
    {
        lock (_lock)
        {
            _inUse[(rtpPort - _first) / 2] = false;
        }
    }

    private Socket? TryBind(int port)
    {
        var socket = new Socket(_address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.ReceiveBufferSize = 1 << 20;
            socket.SendBufferSize = 1 << 20;
            socket.Bind(new IPEndPoint(_address, port));
            return socket;
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }
}
