using System.Diagnostics;
using System.Net;
using MediaServer.Codecs.Rtcp;
using MediaServer.Codecs.Rtp;
using MediaServer.Codecs.Sdp;
using MediaServer.Codecs.Srtp;
using MediaServer.Codecs.Stun;
using MediaServer.Media;
using MediaServer.Metrics;
using Microsoft.Extensions.Logging;

namespace MediaServer.Transport.WebRtc;

/// <summary>
/// One WebRTC leg on the shared port: ICE-lite responder (RFC 8445 §2.5), DTLS-SRTP (RFC 5764) as the passive side, then SRTP
/// in both directions. It is the leg's transport (<see cref="ILegTransport"/>): it selects and keys its <see cref="WebRtcPeer"/>
/// (the way out for every receiver slot of the leg) and hands what the peer sends to its <see cref="WebRtcRoutes"/>.
/// Incoming datagrams arrive on the shared port's one receive loop, so the inbound SRTP context needs no lock.
/// </summary>
public sealed partial class WebRtcSession : ILegTransport
{
    private readonly WebRtcPort _port;

    /// <summary>Held around every call the port makes into this leg when the port is a socket group (<see cref="WebRtcPort"/>).</summary>
    internal Lock Gate { get; } = new();
    private readonly DtlsSrtpServer _dtls;
    private readonly WebRtcPeer _peer;
    private readonly WebRtcRoutes _routes;
    private readonly IReadOnlyList<SdpFingerprint> _remoteFingerprints;
    private readonly RelayMetrics _metrics;
    private readonly ILogger _logger;
    private IceCredentials _ice;
    // The credentials before the last ICE restart: their path carries media until a check on the new ones arrives (RFC 8445 §9).
    private IceCredentials? _previousIce;
    private long _createdTicks = Stopwatch.GetTimestamp();
    private DtlsSrtpHandshake? _handshake;
    // When every handshake slot was first found busy (0: never): refused handshakes are retried on the client's next flight
    // until the handshake timeout has passed since then.
    private long _firstRefusalTicks;
    private SrtpContext? _inbound;
    private long _lastConsentTicks;
    private int _closed;
    private int _failed;

    /// <param name="peer">The leg's way out, which this session selects and keys (built first: the leg's slots send through it).</param>
    /// <param name="routes">Where what the peer sends goes.</param>
    public WebRtcSession(WebRtcPort port, DtlsSrtpServer dtls, WebRtcPeer peer, string remoteUfrag, IReadOnlyList<SdpFingerprint> remoteFingerprints,
        WebRtcRoutes routes, RelayMetrics metrics, ILogger logger)
    {
        _port = port;
        _dtls = dtls;
        _peer = peer;
        _routes = routes;
        _remoteFingerprints = remoteFingerprints;
        _metrics = metrics;
        _logger = logger;
        _ice = IceCredentials.Create(remoteUfrag);
    }

    /// <summary>Our ICE username fragment (a new one after each <see cref="RestartIce"/>).</summary>
    public string LocalUfrag => Volatile.Read(ref _ice).LocalUfrag;

    public string LocalPassword => Volatile.Read(ref _ice).LocalPassword;

    /// <summary>The leg's way out (the sender of its slots, its RTCP channel, its keyframe source).</summary>
    public WebRtcPeer Peer => _peer;

    /// <summary>The nominated remote address (null until an authenticated check arrives).</summary>
    public SocketAddress? Selected => _peer.Selected;

    public bool IsSecure => _peer.IsSecure;

    /// <summary>Raised once, off the receive loop, when the leg can no longer carry media (DTLS failed, consent lost).</summary>
    public event Action<WebRtcSession, string>? Failed;

    /// <summary>Everything that reaches the routes passed SRTP authentication (RFC 3711 §3.4).</summary>
    public bool Authenticated => true;

    public void Start() => _port.Register(this);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }
        _port.Unregister(this);
        ForgetPaths();
        if (Interlocked.Exchange(ref _previousIce, null) is { } previous)
        {
            _port.UnregisterUfrag(previous.LocalUfrag, this);
        }
        _handshake?.SendCloseNotify();
        _handshake?.Dispose();
        _peer.Close();
        // The inbound context is used by the receive loop without a lock; dropping the reference is enough (it holds no
        // unmanaged resources beyond what the GC reclaims).
        Volatile.Write(ref _inbound, null);
    }

    internal void OnStun(in StunMessage request, SocketAddress source)
    {
        if (Volatile.Read(ref _closed) != 0 || !StunTransportAddress.TryCreate(source, out var remote))
        {
            _metrics.CountDrop(DropReason.StunRefused);
            return;
        }
        Span<byte> response = stackalloc byte[512];
        var ice = Volatile.Read(ref _ice);
        var previous = Volatile.Read(ref _previousIce);
        var onPrevious = previous is not null && IsFor(request, previous);
        var credentials = onPrevious ? previous! : ice;
        var outcome = StunBindingResponder.Respond(request, credentials.LocalUfragBytes, credentials.LocalPasswordBytes, credentials.RemoteUfragBytes,
            remote, response, out var written);
        if (outcome == StunBindingOutcome.Success)
        {
            Volatile.Write(ref _lastConsentTicks, Stopwatch.GetTimestamp());
            var selected = _peer.Selected;
            // RFC 8445 §7.3.1.5: the controlling agent nominates with USE-CANDIDATE; until then the first valid pair serves.
            // After an ICE restart the first valid check on the new credentials moves media to its path (RFC 8445 §9, §7.3).
            var restarted = !onPrevious && previous is not null;
            if (restarted)
            {
                CompleteRestart(previous!);
            }
            // What arrives from this address is taken from now on (RFC 8445 §12.2), whatever we send to (below).
            var path = NotePath(source);
            // What we send goes to the nominated pair: a browser talking to an ICE-lite agent nominates aggressively (every
            // check carries USE-CANDIDATE), so the path it checked last; after a restart, the first path checked on the new
            // credentials at once (RFC 8445 §9), since the old one may be gone.
            if (!onPrevious && (selected is null || restarted || (request.HasUseCandidate && !selected.Equals(source))))
            {
                _peer.Select(path);
                if (restarted)
                {
                    Latched?.Invoke(this);
                }
            }
        }
        else
        {
            // Refused (400/401/420/487, answered below) or ignored (a broken FINGERPRINT, not a Binding request).
            _metrics.CountDrop(DropReason.StunRefused);
        }
        if (written > 0)
        {
            _port.Sender.TrySend(response[..written], source);
        }
    }

    internal void OnDtls(ReadOnlySpan<byte> datagram)
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            _metrics.CountDrop(DropReason.Closed);
            return;
        }
        var handshake = _handshake;
        if (handshake is null)
        {
            var selected = _peer.Selected!;
            handshake = _handshake = _dtls.CreateHandshake(_port.Sender, selected, _remoteFingerprints);
            _ = CompleteHandshakeAsync(handshake);
        }
        if (!handshake.TryEnqueue(datagram))
        {
            _metrics.CountDrop(DropReason.NotConnected);
        }
    }

    private async Task CompleteHandshakeAsync(DtlsSrtpHandshake handshake)
    {
        var result = await handshake.RunAsync().ConfigureAwait(false);
        if (result.Failure == DtlsFailure.Refused && MayRetryRefused())
        {
            // Every slot is busy with other legs' handshakes (a burst of joins). The client resends its ClientHello when no
            // answer comes (RFC 6347 §4.2.4: after 1 s, then doubling), and that flight starts a new handshake here.
            _metrics.CountDrop(DropReason.DtlsRefused);
            LogDtlsBusy(_logger, LocalUfrag);
            Interlocked.CompareExchange(ref _handshake, null, handshake);
            handshake.Dispose();
            return;
        }
        if (!result.Succeeded || result.Keys is not { } keys || !SrtpProfileExtensions.TryFromProtectionProfileId((ushort)keys.Profile, out var profile))
        {
            LogDtlsFailed(_logger, LocalUfrag, result.Failure, result.Reason ?? "");
            if (result.Failure != DtlsFailure.Cancelled)
            {
                _metrics.CountDrop(DropReason.DtlsRefused); // Cancelled: the leg was closed by its owner, nothing was refused.
            }
            Fail("DTLS handshake failed: " + (result.Reason ?? result.Failure.ToString()));
            return;
        }
        Secure(profile, keys);
    }

    /// <summary>True while the leg is open and the handshake timeout has not passed since its first refusal.</summary>
    private bool MayRetryRefused()
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            return false;
        }
        var now = Stopwatch.GetTimestamp();
        var first = Interlocked.CompareExchange(ref _firstRefusalTicks, now, 0);
        return first == 0 || Stopwatch.GetElapsedTime(first, now) < _dtls.Options.HandshakeTimeout;
    }

    /// <summary>
    /// Starts SRTP with the keys DTLS exported (RFC 5764 §4.2): the peer's write keys unprotect what it sends, ours protect
    /// what we send. Internal so a benchmark can key a leg without a handshake.
    /// </summary>
    internal void Secure(SrtpProfile profile, DtlsSrtpKeys keys)
    {
        var options = new SrtpContextOptions { ReplayWindowSize = 512 };
        var inbound = new SrtpContext(profile, keys.RemoteMasterKey, keys.RemoteMasterSalt, options);
        var outbound = new SrtpContext(profile, keys.LocalMasterKey, keys.LocalMasterSalt, options);
        Volatile.Write(ref _inbound, inbound);
        _peer.Secure(outbound);
        LogSecure(_logger, LocalUfrag, profile);
        // The receivers of this leg start now: each asks the source it carries for a keyframe.
        foreach (var stream in _routes.Outgoing)
        {
            stream.OnTransportReady();
        }
    }

    internal void OnSrtp(Span<byte> datagram)
    {
        var inbound = Volatile.Read(ref _inbound);
        if (inbound is null)
        {
            _metrics.CountDrop(DropReason.NotConnected);
            return;
        }
        if (RtpDemux.IsRtcp(datagram))
        {
            var result = inbound.TryUnprotectRtcp(datagram, datagram.Length, out var plainLength);
            if (!Admit(result))
            {
                return;
            }
            var compound = datagram[..plainLength];
            if (!RtcpCompoundReader.IsWellFormed(compound))
            {
                _metrics.CountDrop(DropReason.Malformed);
                return;
            }
            _metrics.CountRtcpIn();
            var outgoing = _routes.Outgoing;
            for (var i = 0; i < outgoing.Count; i++)
            {
                outgoing[i].OnRtcp(compound);
            }
            // With BUNDLE one compound carries the peer's sender reports for both of its tracks; each track keeps its own.
            var reports = _routes.SenderReports;
            for (var i = 0; i < reports.Count; i++)
            {
                reports[i].OnRtcp(compound);
            }
            return;
        }
        var rtpResult = inbound.TryUnprotectRtp(datagram, datagram.Length, out var rtpLength);
        if (!Admit(rtpResult))
        {
            return;
        }
        var plain = datagram[..rtpLength];
        if (!RtpPacket.TryParse(plain, out var packet))
        {
            _metrics.CountDrop(DropReason.Malformed);
            return;
        }
        var track = _routes.ByPayloadType[packet.PayloadType];
        if (track is null)
        {
            _metrics.CountDrop(DropReason.NoRoute);
            return;
        }
        track.OnRtp(plain, new RtpHeaderInfo(packet.SequenceNumber, packet.Timestamp, packet.Ssrc, packet.PayloadType, packet.Marker, packet.HeaderLength));
    }

    private bool Admit(SrtpResult result)
    {
        switch (result)
        {
            case SrtpResult.Ok:
                return true;
            case SrtpResult.Replayed or SrtpResult.TooOld:
                _metrics.CountDrop(DropReason.SrtpReplay);
                return false;
            default:
                _metrics.CountDrop(DropReason.SrtpAuth);
                return false;
        }
    }

    /// <summary>Called every second by the port: closes a leg that never connected, or whose peer stopped consenting.</summary>
    internal void CheckLiveness(long now)
    {
        var options = _port.Options;
        var last = Volatile.Read(ref _lastConsentTicks);
        var created = Volatile.Read(ref _createdTicks);
        if (last == 0)
        {
            if (Stopwatch.GetElapsedTime(created, now) > options.ConnectTimeout)
            {
                Fail("no ICE check arrived");
            }
        }
        else if (Stopwatch.GetElapsedTime(last, now) > options.ConsentTimeout)
        {
            Fail("consent expired (RFC 7675)");
        }
        else if (!IsSecure && Stopwatch.GetElapsedTime(created, now) > options.ConnectTimeout)
        {
            Fail("DTLS did not complete");
        }
        else
        {
            ForgetSilentPaths(now, options.ConsentTimeout);
        }
    }

    private void Fail(string reason)
    {
        if (Volatile.Read(ref _closed) != 0 || Interlocked.Exchange(ref _failed, 1) != 0)
        {
            return;
        }
        LogFailed(_logger, LocalUfrag, reason);
        var failed = Failed;
        if (failed is not null)
        {
            ThreadPool.QueueUserWorkItem(_ => failed(this, reason));
        }
    }

    [LoggerMessage(EventId = 410, Level = LogLevel.Information, Message = "WebRTC leg {Ufrag}: SRTP ready ({Profile})")]
    private static partial void LogSecure(ILogger logger, string ufrag, SrtpProfile profile);

    [LoggerMessage(EventId = 411, Level = LogLevel.Warning, Message = "WebRTC leg {Ufrag}: DTLS failed ({Failure}): {Reason}")]
    private static partial void LogDtlsFailed(ILogger logger, string ufrag, DtlsFailure failure, string reason);

    [LoggerMessage(EventId = 415, Level = LogLevel.Information, Message = "WebRTC leg {Ufrag}: every DTLS handshake slot is busy; the client's next flight is tried again")]
    private static partial void LogDtlsBusy(ILogger logger, string ufrag);

    [LoggerMessage(EventId = 412, Level = LogLevel.Information, Message = "WebRTC leg {Ufrag} closing: {Reason}")]
    private static partial void LogFailed(ILogger logger, string ufrag, string reason);
}
