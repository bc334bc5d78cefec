using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using MediaServer.Codecs.Rtcp;
using MediaServer.Codecs.Rtp;
using MediaServer.Codecs.Sdp;
using MediaServer.Codecs.Srtp;
using MediaServer.Codecs.Stun;
using MediaServer.Metrics;
using MediaServer.Routing;
using Microsoft.Extensions.Logging;

namespace MediaServer.Transport.WebRtc;

/// <summary>
/// One WebRTC leg on the shared port: ICE-lite responder (RFC 8445 §2.5), DTLS-SRTP (RFC 5764) as the passive side, then SRTP
/// in both directions. It is the leg's transport (<see cref="ILegTransport"/>), the way out for every receiver slot of the leg
/// (<see cref="IDatagramSender"/>: protect, then send to the nominated address), and the way to ask its sender for a keyframe.
/// Incoming datagrams arrive on the shared port's one receive loop, so the inbound SRTP context needs no lock; outbound
/// protection can be called from any relay loop and takes a short lock around the cipher only, never around the send.
/// </summary>
public sealed partial class WebRtcSession : ILegTransport, IDatagramSender, IKeyframeSource, IRtcpChannel
{
    private const int MaxOverhead = 32;
    private readonly WebRtcPort _port;
    private readonly DtlsSrtpServer _dtls;
    private readonly IReadOnlyList<SdpFingerprint> _remoteFingerprints;
    private readonly byte[] _localUfrag;
    private readonly byte[] _localPassword;
    private readonly byte[] _remoteUfrag;
    private readonly RelayMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Lock _protectLock = new();
    private readonly long _createdTicks = Stopwatch.GetTimestamp();
    private SocketAddress? _selected;
    private DtlsSrtpHandshake? _handshake;
    private SrtpContext? _inbound;
    private SrtpContext? _outbound;
    private long _lastConsentTicks;
    private int _closed;
    private int _failed;

    public WebRtcSession(WebRtcPort port, DtlsSrtpServer dtls, string remoteUfrag, IReadOnlyList<SdpFingerprint> remoteFingerprints,
        RelayMetrics metrics, ILogger logger)
    {
        _port = port;
        _dtls = dtls;
        _remoteFingerprints = remoteFingerprints;
        _metrics = metrics;
        _logger = logger;
        // RFC 8839 §5.4: ufrag ≥ 4 and pwd ≥ 22 characters of ice-char; 24 bits and 128 bits of randomness at least.
        LocalUfrag = RandomIceString(8);
        LocalPassword = RandomIceString(24);
        _localUfrag = Encoding.ASCII.GetBytes(LocalUfrag);
        _localPassword = Encoding.ASCII.GetBytes(LocalPassword);
        _remoteUfrag = Encoding.ASCII.GetBytes(remoteUfrag);
        RtcpSsrc = (uint)Random.Shared.NextInt64(1, 1L << 32);
    }

    public string LocalUfrag { get; }
    public string LocalPassword { get; }
    public uint RtcpSsrc { get; }

    /// <summary>The nominated remote address (null until an authenticated check arrives).</summary>
    public SocketAddress? Selected => Volatile.Read(ref _selected);

    public bool IsSecure => Volatile.Read(ref _outbound) is not null;

    /// <summary>Routes the leg's incoming RTP by payload type: which of its tracks a payload type belongs to.</summary>
    public Track?[] TrackByPayloadType { get; } = new Track?[128];

    /// <summary>The leg's receiver slots: RTCP feedback from the peer goes to each (each picks out its own SSRC).</summary>
    public IReadOnlyList<ReceiverSlot> Slots { get; set; } = [];

    /// <summary>The tracks this peer publishes (their sender reports go to the recording).</summary>
    public IReadOnlyList<Track> SenderTracks { get; set; } = [];

    /// <summary>Raised once, off the receive loop, when the leg can no longer carry media (DTLS failed, consent lost).</summary>
    public event Action<WebRtcSession, string>? Failed;

    public void Start() => _port.Register(this);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }
        _port.Unregister(this);
        _handshake?.SendCloseNotify();
        _handshake?.Dispose();
        lock (_protectLock)
        {
            Volatile.Read(ref _outbound)?.Dispose();
            Volatile.Write(ref _outbound, null);
        }
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
        var outcome = StunBindingResponder.Respond(request, _localUfrag, _localPassword, _remoteUfrag, remote, response, out var written);
        if (outcome == StunBindingOutcome.Success)
        {
            Volatile.Write(ref _lastConsentTicks, Stopwatch.GetTimestamp());
            var selected = Volatile.Read(ref _selected);
            // RFC 8445 §7.3.1.5: the controlling agent nominates with USE-CANDIDATE; until then the first valid pair serves.
            if (selected is null || (request.HasUseCandidate && !selected.Equals(source)))
            {
                var copy = new SocketAddress(source.Family, source.Size);
                source.Buffer.Span[..source.Size].CopyTo(copy.Buffer.Span);
                _port.Bind(this, selected, copy);
                Volatile.Write(ref _selected, copy);
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
            var selected = Volatile.Read(ref _selected)!;
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
        lock (_protectLock)
        {
            Volatile.Write(ref _outbound, outbound);
        }
        LogSecure(_logger, LocalUfrag, profile);
        // The receivers of this leg start now: ask every source they carry for a keyframe.
        foreach (var slot in Slots)
        {
            slot.Source?.RequestKeyframe();
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
            var slots = Slots;
            for (var i = 0; i < slots.Count; i++)
            {
                slots[i].OnRtcp(compound);
            }
            // With BUNDLE one compound carries the peer's sender reports for both of its tracks; each track keeps its own.
            var tracks = SenderTracks;
            for (var i = 0; i < tracks.Count; i++)
            {
                tracks[i].OnSenderRtcp(compound);
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
        var track = TrackByPayloadType[packet.PayloadType];
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

    public bool IsReady => Volatile.Read(ref _outbound) is not null && Volatile.Read(ref _selected) is not null;

    /// <summary>Protects one rewritten RTP packet and sends it to the nominated address (the destination argument is unused).</summary>
    public bool TrySend(ReadOnlySpan<byte> datagram, SocketAddress destination) => ProtectAndSend(datagram, rtcp: false);

    /// <summary>Protects and sends one RTCP compound packet we made (reports).</summary>
    public bool SendRtcp(ReadOnlySpan<byte> compound) => ProtectAndSend(compound, rtcp: true);

    /// <summary>
    /// Copies the packet once into a stack buffer with room for the tag, protects it under the lock (the cipher state is
    /// per direction and shared by every relay loop that sends here), and sends outside the lock.
    /// </summary>
    private bool ProtectAndSend(ReadOnlySpan<byte> packet, bool rtcp)
    {
        var selected = Volatile.Read(ref _selected);
        if (selected is null || packet.Length > DatagramReceiveLoop.BufferSize)
        {
            return false;
        }
        Span<byte> buffer = stackalloc byte[DatagramReceiveLoop.BufferSize + MaxOverhead];
        packet.CopyTo(buffer);
        int protectedLength;
        lock (_protectLock)
        {
            var outbound = Volatile.Read(ref _outbound);
            if (outbound is null)
            {
                return false;
            }
            var protectedOk = rtcp
                ? outbound.TryProtectRtcp(buffer, packet.Length, out protectedLength)
                : outbound.TryProtectRtp(buffer, packet.Length, out protectedLength);
            if (!protectedOk)
            {
                return false;
            }
        }
        return _port.Sender.TrySend(buffer[..protectedLength], selected);
    }

    /// <summary>Sends the peer a PLI (RFC 4585 §6.3.1) over SRTCP.</summary>
    public void RequestKeyframe(uint mediaSsrc)
    {
        Span<byte> pli = stackalloc byte[RtcpPli.Length];
        var length = RtcpPli.Write(pli, RtcpSsrc, mediaSsrc);
        if (length > 0)
        {
            ProtectAndSend(pli[..length], rtcp: true);
        }
    }

    /// <summary>Called every second by the port: closes a leg that never connected, or whose peer stopped consenting.</summary>
    internal void CheckLiveness(long now)
    {
        var options = _port.Options;
        var last = Volatile.Read(ref _lastConsentTicks);
        if (last == 0)
        {
            if (Stopwatch.GetElapsedTime(_createdTicks, now) > options.ConnectTimeout)
            {
                Fail("no ICE check arrived");
            }
        }
        else if (Stopwatch.GetElapsedTime(last, now) > options.ConsentTimeout)
        {
            Fail("consent expired (RFC 7675)");
        }
        else if (!IsSecure && Stopwatch.GetElapsedTime(_createdTicks, now) > options.ConnectTimeout)
        {
            Fail("DTLS did not complete");
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

    private static string RandomIceString(int length)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        Span<char> chars = stackalloc char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        }
        return new string(chars);
    }

    [LoggerMessage(EventId = 410, Level = LogLevel.Information, Message = "WebRTC leg {Ufrag}: SRTP ready ({Profile})")]
    private static partial void LogSecure(ILogger logger, string ufrag, SrtpProfile profile);

    [LoggerMessage(EventId = 411, Level = LogLevel.Warning, Message = "WebRTC leg {Ufrag}: DTLS failed ({Failure}): {Reason}")]
    private static partial void LogDtlsFailed(ILogger logger, string ufrag, DtlsFailure failure, string reason);

    [LoggerMessage(EventId = 412, Level = LogLevel.Information, Message = "WebRTC leg {Ufrag} closing: {Reason}")]
    private static partial void LogFailed(ILogger logger, string ufrag, string reason);
}
