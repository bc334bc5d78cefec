using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MediaServer.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MediaServer.Transport;

/// <summary>
/// A few plain-RTP port pairs (MediaServer:Rtp:SharedPairs, taken from the RTP range at start) that every m-line of a
/// symmetric client shares: a client that sends each stream from the port it receives it on (symmetric RTP, RFC 4961 §3)
/// and says so when it joins (<c>?rtp=symmetric</c>). Datagrams are told apart by their source address, the way the WebRTC
/// port tells its legs apart: an m-line's RTP comes from the join request's address at the RTP port its offer named, its
/// RTCP from the RTCP port the offer named, and nothing else reaches it. With every such m-line on a few sockets, one
/// recvmmsg takes datagrams of many visits and one sendmmsg sends them on; measured on one core this was no cheaper than a
/// pair per m-line, and it lost packets where their many buffers did not (docs/performance.md), so it is off by default and
/// serves for fewer sockets and ports. A source that is already some m-line's on a shared pair is not shared twice (the join gets a pair of
/// its own instead), and a source nobody holds is dropped and counted (<c>unknown_source</c>).
/// </summary>
public sealed partial class SharedRtpPorts : IHostedService, IDisposable
{
    /// <summary>Receive and send buffer asked for each shared RTP socket.</summary>
    public const int SocketBufferBytes = 4 << 20;

    private readonly RtpOptions _options;
    private readonly int _pairs;
    private readonly PortAllocator _allocator;
    private readonly RelayMetrics _metrics;
    private readonly ILogger<SharedRtpPorts> _logger;
    private readonly CancellationTokenSource _stop = new();
    private Group[] _groups = [];
    private int _next;

    public SharedRtpPorts(IOptions<RtpOptions> options, PortAllocator allocator, RelayMetrics metrics, ILogger<SharedRtpPorts> logger)
    {
        _options = options.Value;
        _pairs = _options.SharedPairs;
        _allocator = allocator;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Where datagrams no m-line holds are counted.</summary>
    public RelayMetrics Metrics => _metrics;

    /// <summary>The shared pairs' RTP ports (empty when none are configured or before start).</summary>
    public IReadOnlyList<int> Ports => Array.ConvertAll(Volatile.Read(ref _groups), g => g.Pair.RtpPort);

    /// <summary>M-lines on the shared pairs now.</summary>
    public int Leases
    {
        get
        {
            var count = 0;
            foreach (var group in Volatile.Read(ref _groups))
            {
                count += group.RtpRoutes.Count;
            }
            return count;
        }
    }

    /// <summary>Binds the shared pairs (after the datagram path was chosen: AddRelay resolves it first).</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var groups = new Group[_pairs];
        for (var i = 0; i < _pairs; i++)
        {
            var pair = _allocator.Allocate();
            if (pair is null)
            {
                _stop.Cancel();
                for (var bound = 0; bound < i; bound++)
                {
                    groups[bound].Pair.Dispose();
                }
                throw new MediaPortUnavailableException(MediaPortPreflight.SharedPairsHeld(_options, i));
            }
            // One socket takes what hundreds of per-leg sockets would queue between them: room for a few ms of a busy relay
            // (the kernel doubles the value and caps it at net.core.rmem_max / wmem_max), as on the WebRTC port.
            pair.Rtp.ReceiveBufferSize = SocketBufferBytes;
            pair.Rtp.SendBufferSize = SocketBufferBytes;
            groups[i] = new Group(pair, _metrics);
            DatagramReceiveLoop.Start(pair.Rtp, groups[i].RtpDemux, _logger, _stop.Token);
            DatagramReceiveLoop.Start(pair.Rtcp, groups[i].RtcpDemux, _logger, _stop.Token);
        }
        Volatile.Write(ref _groups, groups);
        if (_pairs > 0)
        {
            var ports = string.Join(", ", Array.ConvertAll(groups, g => g.Pair.RtpPort));
            LogShared(_logger, _pairs, ports);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    /// <summary>
    /// A place on a shared pair for an m-line whose client sends RTP from <paramref name="rtpSource"/> and RTCP from
    /// <paramref name="rtcpSource"/>; null when none is configured, or when every shared pair already has an m-line with one of
    /// those sources (then the m-line needs a pair of its own). Nothing is delivered before <see cref="IPlainRtpPorts.Start"/>.
    /// </summary>
    public IPlainRtpPorts? TryLease(IPEndPoint rtpSource, IPEndPoint rtcpSource)
    {
        var groups = Volatile.Read(ref _groups);
        if (groups.Length == 0 || _stop.IsCancellationRequested)
        {
            return null;
        }
        var first = (int)((uint)Interlocked.Increment(ref _next) % (uint)groups.Length);
        for (var i = 0; i < groups.Length; i++)
        {
            var group = groups[(first + i) % groups.Length];
            var lease = new Lease(group, rtpSource.Serialize(), rtcpSource.Serialize());
            if (!group.RtpRoutes.TryAdd(lease.RtpSource, lease.RtpRoute))
            {
                continue;
            }
            if (!group.RtcpRoutes.TryAdd(lease.RtcpSource, lease.RtcpRoute))
            {
                group.RtpRoutes.TryRemove(new KeyValuePair<SocketAddress, Route>(lease.RtpSource, lease.RtpRoute));
                continue;
            }
            return lease;
        }
        LogTaken(_logger, rtpSource);
        return null;
    }

    public void Dispose()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        _stop.Cancel();
        foreach (var group in Volatile.Read(ref _groups))
        {
            group.Pair.Dispose();
        }
        Volatile.Write(ref _groups, []);
    }

    /// <summary>One shared pair and the m-lines on it, by the address their datagrams come from.</summary>
    private sealed class Group
    {
        public Group(UdpPortPair pair, RelayMetrics metrics)
        {
            Pair = pair;
            RtpDemux = new Demux(RtpRoutes, metrics);
            RtcpDemux = new Demux(RtcpRoutes, metrics);
        }

        public UdpPortPair Pair { get; }
        public ConcurrentDictionary<SocketAddress, Route> RtpRoutes { get; } = new();
        public ConcurrentDictionary<SocketAddress, Route> RtcpRoutes { get; } = new();
        public Demux RtpDemux { get; }
        public Demux RtcpDemux { get; }
    }

    /// <summary>Where one source's datagrams go; no handler until the m-line starts.</summary>
    private sealed class Route
    {
        public volatile IDatagramHandler? Handler;
    }

    /// <summary>
    /// One shared socket's handler: finds the m-line by the receive loop's reused source address (a lookup, no allocation) and
    /// hands the datagram on inline; a source nobody holds, or one whose m-line has not started, is counted and dropped.
    /// </summary>
    private sealed class Demux(ConcurrentDictionary<SocketAddress, Route> routes, RelayMetrics metrics) : IDatagramHandler
    {
        public void OnDatagram(Span<byte> datagram, SocketAddress source)
        {
            if (routes.TryGetValue(source, out var route) && route.Handler is { } handler)
            {
                handler.OnDatagram(datagram, source);
                return;
            }
            metrics.CountIn(datagram.Length);
            metrics.CountDrop(DropReason.UnknownSource);
        }

        public void OnOversize(SocketAddress source)
        {
            if (routes.TryGetValue(source, out var route) && route.Handler is { } handler)
            {
                handler.OnOversize(source);
                return;
            }
            metrics.CountIn(DatagramReceiveLoop.BufferSize + 1);
            metrics.CountDrop(DropReason.Oversize);
        }
    }

    /// <summary>An m-line's place on a shared pair: its two sources, routed to its handlers from start until disposed.</summary>
    private sealed class Lease(Group group, SocketAddress rtpSource, SocketAddress rtcpSource) : IPlainRtpPorts
    {
        private int _disposed;

        public Route RtpRoute { get; } = new();
        public Route RtcpRoute { get; } = new();
        public int RtpPort => group.Pair.RtpPort;
        public int RtcpPort => group.Pair.RtcpPort;
        public Socket Rtp => group.Pair.Rtp;
        public Socket Rtcp => group.Pair.Rtcp;
        public SocketAddress RtpSource { get; } = rtpSource;
        public SocketAddress RtcpSource { get; } = rtcpSource;

        SocketAddress? IPlainRtpPorts.RtpSource => RtpSource;
        SocketAddress? IPlainRtpPorts.RtcpSource => RtcpSource;

        public void Start(IDatagramHandler rtp, IDatagramHandler rtcp, ILogger logger, CancellationToken stop)
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                return;
            }
            RtpRoute.Handler = rtp;
            RtcpRoute.Handler = rtcp;
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }
            RtpRoute.Handler = null;
            RtcpRoute.Handler = null;
            group.RtpRoutes.TryRemove(new KeyValuePair<SocketAddress, Route>(RtpSource, RtpRoute));
            group.RtcpRoutes.TryRemove(new KeyValuePair<SocketAddress, Route>(RtcpSource, RtcpRoute));
        }
    }

    [LoggerMessage(EventId = 130, Level = LogLevel.Information, Message = "Plain RTP: {Count} shared port pair(s) for symmetric clients (?rtp=symmetric), RTP ports {Ports}")]
    private static partial void LogShared(ILogger logger, int count, string ports);

    [LoggerMessage(EventId = 131, Level = LogLevel.Information, Message = "Plain RTP: {Source} already sends to every shared pair; the m-line gets a pair of its own")]
    private static partial void LogTaken(ILogger logger, IPEndPoint source);
}
