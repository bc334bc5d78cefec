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
    private Socket? _socket;
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

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(ListenAddress.AddressFamily, SocketType.Dgram, ProtocolType.Udp)
        {
            ReceiveBufferSize = 4 << 20,
            SendBufferSize = 4 << 20,
        };
        try
        {
            socket.Bind(new IPEndPoint(ListenAddress, _options.Port));
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new MediaPortUnavailableException(MediaPortPreflight.WebRtcPortHeld(ListenAddress, _options.Port, e.SocketErrorCode), e);
        }
        _socket = socket;
        Port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        Sender = new UdpDatagramSender(socket);
        DatagramReceiveLoop.Start(socket, this, _logger, _stop.Token);
        _consentTask = Task.Run(() => WatchConsentAsync(_stop.Token), CancellationToken.None);
        LogListening(_logger, ListenAddress, Port);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket?.Dispose();
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
        _socket?.Dispose();
        _stop.Dispose();
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
                    dtlsSession.OnDtls(datagram);
                }
                else
                {
                    _metrics.CountDrop(DropReason.NotConnected);
                }
                break;
            case PacketKind.RtpOrRtcp:
                if (_byAddress.TryGetValue(source, out var mediaSession))
                {
                    mediaSession.OnSrtp(datagram);
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
        session.OnStun(message, source);
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

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "WebRTC port listening on {Address}:{Port}")]
    private static partial void LogListening(ILogger logger, IPAddress address, int port);
}
