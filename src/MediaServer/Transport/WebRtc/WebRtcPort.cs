using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MediaServer.Codecs.Stun;
using MediaServer.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MediaServer.Transport.WebRtc;

/// <summary>
/// The one UDP port every WebRTC leg shares. Datagrams are told apart by their first byte (RFC 7983 §7): STUN checks find
/// their leg by the username (our ufrag, RFC 8445 §7.2.2) and, once authenticated, bind the sender's address to it; DTLS and
/// SRTP find their leg by that address. Lookups use the receive loop's reused <see cref="SocketAddress"/> and a span-keyed view
/// of the ufrag table, so the path allocates nothing. A timer closes legs whose peer stopped consenting (RFC 7675).
/// <para>
/// On the batched I/O path with several threads the port is a group of sockets bound with SO_REUSEPORT, one served by each
/// thread (<see cref="WebRtcOptions.SocketPerIoThread"/>): the kernel hashes each remote address pair to one member, so a leg's
/// datagrams normally reach one thread. A leg can still be reached on two threads at once: a browser checks several candidate
/// pairs together, and ICE restarts and NAT rebinding change the address. So with a group every call into a leg is made under
/// the leg's <see cref="WebRtcSession.Gate"/>; uncontended it costs an atomic operation, and what a leg sends under it is only
/// queued on the I/O thread (a full queue is flushed there, non-blocking).
/// </para>
/// </summary>
public sealed partial class WebRtcPort : IHostedService, IDatagramHandler, IDisposable
{
    private readonly WebRtcOptions _options;
    private readonly RelayMetrics _metrics;
    private readonly ILogger<WebRtcPort> _logger;
    private readonly ConcurrentDictionary<string, WebRtcSession> _byUfrag = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, WebRtcSession>.AlternateLookup<ReadOnlySpan<char>> _byUfragSpan;
    private readonly ConcurrentDictionary<SocketAddress, WebRtcSession> _byAddress = new();
    private readonly CancellationTokenSource _stop = new();
    private Socket[] _sockets = [];
    private bool _grouped;
    private Task? _consentTask;

    public WebRtcPort(IOptions<WebRtcOptions> options, RelayMetrics metrics, ILogger<WebRtcPort> logger)
    {
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
        _byUfragSpan = _byUfrag.GetAlternateLookup<ReadOnlySpan<char>>();
        ListenAddress = IPAddress.Parse(_options.ListenAddress);
        AnnouncedAddress = string.IsNullOrWhiteSpace(_options.AnnouncedAddress) ? ListenAddress : IPAddress.Parse(_options.AnnouncedAddress);
    }

    public IPAddress ListenAddress { get; }

    /// <summary>The address of our host candidate.</summary>
    public IPAddress AnnouncedAddress { get; }

    /// <summary>The bound port (the configured one).</summary>
    public int Port { get; private set; }

    public WebRtcOptions Options => _options;

    /// <summary>Sends from the shared port; every WebRTC leg's datagrams leave through it. Set by <see cref="StartAsync"/>
    /// (internal set: a benchmark puts a null sender here and feeds <see cref="OnDatagram"/> itself).</summary>
    public IDatagramSender Sender { get; internal set; } = null!;

    public int Sessions => _byUfrag.Count;

    /// <summary>Sockets bound to the port: one, or one per batched I/O thread (the SO_REUSEPORT group).</summary>
    public int SocketCount => _sockets.Length;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // 1. One socket, or a group of one per batched I/O thread (the threads must be installed first: DatagramIo.Selection).
        var count = _options.SocketPerIoThread && ReusePort.IsSupported && DatagramIo.Batched is { ThreadCount: > 1 } io ? io.ThreadCount : 1;
        var sockets = new Socket[count];
        try
        {
            // 2. The first binds the configured port (0: any); the others bind the port it got.
            for (var i = 0; i < count; i++)
            {
                sockets[i] = Bind(i == 0 ? _options.Port : Port, group: count > 1);
                Port = ((IPEndPoint)sockets[i].LocalEndPoint!).Port;
            }
            // 3. SO_REUSEPORT lets another process of this user bind the same port and take a share of its datagrams: at
            //    start, every socket on the port must be ours (one left over from an earlier run, say, is refused here).
            if (count > 1 && ReusePort.CountBound(ListenAddress, Port) is { } bound && bound != count)
            {
                throw new MediaPortUnavailableException(
                    $"MediaServer:WebRtc:Port {ListenAddress}:{Port} has {bound - count} socket(s) of another process bound beside this server's {count} (SO_REUSEPORT); stop it or set another port.");
            }
        }
        catch
        {
            foreach (var socket in sockets)
            {
                socket?.Dispose();
            }
            throw;
        }
        _sockets = sockets;
        _grouped = count > 1;
        // 4. Sends leave through the first socket (any member's source port is the port); each member is read by its thread.
        Sender = new UdpDatagramSender(sockets[0]);
        for (var i = 0; i < count; i++)
        {
            DatagramReceiveLoop.Start(sockets[i], this, _logger, _stop.Token, ioThread: count > 1 ? i : null);
        }
        _consentTask = Task.Run(() => WatchConsentAsync(_stop.Token), CancellationToken.None);
        LogListening(_logger, ListenAddress, Port, count);
        return Task.CompletedTask;
    }

    private Socket Bind(int port, bool group)
    {
        var socket = new Socket(ListenAddress.AddressFamily, SocketType.Dgram, ProtocolType.Udp)
        {
            ReceiveBufferSize = 4 << 20,
            SendBufferSize = 4 << 20,
        };
        try
        {
            if (group)
            {
                ReusePort.Enable(socket);
            }
            socket.Bind(new IPEndPoint(ListenAddress, port));
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new MediaPortUnavailableException(MediaPortPreflight.WebRtcPortHeld(ListenAddress, port, e.SocketErrorCode), e);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        DisposeSockets();
        if (_consentTask is not null)
        {
            await _consentTask.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        // The container disposes this once as a singleton and once as the hosted service it also is.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _stop.Cancel();
        DisposeSockets();
        _stop.Dispose();
    }

    private void DisposeSockets()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }
    }

    private int _disposed;

    /// <summary>Makes a leg reachable by its ufrag (before any check arrives).</summary>
    internal void Register(WebRtcSession session) => _byUfrag[session.LocalUfrag] = session;

    /// <summary>Forgets one ufrag of a leg (its credentials before an ICE restart).</summary>
    internal void UnregisterUfrag(string ufrag, WebRtcSession session) => _byUfrag.TryRemove(new KeyValuePair<string, WebRtcSession>(ufrag, session));

    internal void Unregister(WebRtcSession session)
    {
        _byUfrag.TryRemove(new KeyValuePair<string, WebRtcSession>(session.LocalUfrag, session));
        if (session.Selected is { } address)
        {
            _byAddress.TryRemove(new KeyValuePair<SocketAddress, WebRtcSession>(address, session));
        }
    }

    /// <summary>Binds an authenticated remote address to a leg (ICE nomination), replacing the leg's previous one.</summary>
    internal void Bind(WebRtcSession session, SocketAddress? previous, SocketAddress address)
    {
        if (previous is not null)
        {
            _byAddress.TryRemove(new KeyValuePair<SocketAddress, WebRtcSession>(previous, session));
        }
        _byAddress[address] = session;
    }

    /// <summary>Removes one of a leg's bound addresses (the path an ICE restart moved away from, once the new one is nominated).</summary>
    internal void Unbind(WebRtcSession session, SocketAddress address) =>
        _byAddress.TryRemove(new KeyValuePair<SocketAddress, WebRtcSession>(address, session));

    /// <summary>Longer than any datagram we accept: dropped whole before STUN, DTLS or SRTP sees a cut copy.</summary>
    public void OnOversize(SocketAddress source)
    {
        _metrics.CountIn(DatagramReceiveLoop.BufferSize + 1);
        _metrics.CountDrop(DropReason.Oversize);
    }

    public void OnDatagram(Span<byte> datagram, SocketAddress source)
    {
        _metrics.CountIn(datagram.Length);
        switch (PacketDemux.Classify(datagram))
        {
            case PacketKind.Stun:
                OnStun(datagram, source);
                break;
            case PacketKind.Dtls:
                if (_byAddress.TryGetValue(source, out var dtlsSession))
                {
                    if (_grouped)
                    {
                        lock (dtlsSession.Gate)
                        {
                            dtlsSession.OnDtls(datagram);
                        }
                    }
                    else
                    {
                        dtlsSession.OnDtls(datagram);
                    }
                }
                else
                {
                    _metrics.CountDrop(DropReason.NotConnected);
                }
                break;
            case PacketKind.RtpOrRtcp:
                if (_byAddress.TryGetValue(source, out var mediaSession))
                {
                    if (_grouped)
                    {
                        lock (mediaSession.Gate)
                        {
                            mediaSession.OnSrtp(datagram);
                        }
                    }
                    else
                    {
                        mediaSession.OnSrtp(datagram);
                    }
                }
                else
                {
                    _metrics.CountDrop(DropReason.NotConnected);
                }
                break;
            default:
                _metrics.CountDrop(DropReason.Malformed);
                break;
        }
    }

    private void OnStun(Span<byte> datagram, SocketAddress source)
    {
        if (!StunMessage.TryParse(datagram, out var message))
        {
            _metrics.CountDrop(DropReason.Malformed);
            return;
        }
        if (message.Class != StunClass.Request)
        {
            return; // Indications are keepalives; responses are not expected by an ICE-lite agent.
        }
        if (!message.TryGetUsername(out var username) || !IceUsername.TryParse(username, out var localUfrag, out _)
            || localUfrag.Length > 256)
        {
            _metrics.CountDrop(DropReason.StunRefused);
            return;
        }
        Span<char> ufrag = stackalloc char[localUfrag.Length];
        if (Encoding.ASCII.GetChars(localUfrag, ufrag) != localUfrag.Length || !_byUfragSpan.TryGetValue(ufrag, out var session))
        {
            _metrics.CountDrop(DropReason.StunRefused);
            return;
        }
        if (_grouped)
        {
            lock (session.Gate)
            {
                session.OnStun(message, source);
            }
        }
        else
        {
            session.OnStun(message, source);
        }
    }

    private async Task WatchConsentAsync(CancellationToken cancellation)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellation).ConfigureAwait(false))
            {
                var now = Stopwatch.GetTimestamp();
                foreach (var session in _byUfrag.Values)
                {
                    session.CheckLiveness(now);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "WebRTC port listening on {Address}:{Port} ({Sockets} socket(s))")]
    private static partial void LogListening(ILogger logger, IPAddress address, int port, int sockets);
}
