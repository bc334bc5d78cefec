using System.Net;
using MediaServer.Codecs.Sdp;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace MediaServer.Transport.WebRtc;

/// <summary>
/// The process-wide DTLS side of the WebRTC port: our certificate (converted to BouncyCastle types once), one BouncyCastle crypto
/// provider, the options, and the cap on concurrent handshakes. Legs get their handshake from <see cref="CreateHandshake"/>.
/// </summary>
public sealed class DtlsSrtpServer
{
    private readonly Certificate _bcCertificate;
    private int _active;
    private int _lingering;
    private long _refused;
    private long _lingerSkipped;

    public DtlsSrtpServer(DtlsCertificate certificate, DtlsOptions? options = null, ILogger<DtlsSrtpServer>? logger = null)
    {
        Options = options ?? new DtlsOptions();
        if (Options.MaxConcurrentHandshakes < 1 || Options.MaxLingering < 0 || Options.ReceiveQueueCapacity < 1 || Options.SendLimit < 256
            || Options.ReceiveLimit < Options.SendLimit || Options.HandshakeTimeout <= TimeSpan.Zero
            || Options.HandshakeTimeout > TimeSpan.FromMinutes(10)
            || Options.PostHandshakeLinger < TimeSpan.Zero)
        {
            throw new ArgumentException("DTLS options out of range.", nameof(options));
        }
        Certificate = certificate;
        Logger = (ILogger?)logger ?? NullLogger.Instance;
        // BcTlsCrypto is meant to be shared by connections: it holds no per-connection state, and SecureRandom is thread-safe.
        Crypto = new BcTlsCrypto(new SecureRandom());
        _bcCertificate = certificate.ToBouncyCastle(Crypto);
    }

    public DtlsCertificate Certificate { get; }

    /// <summary>Our fingerprint for the SDP answer (<c>a=fingerprint:</c> + <c>ToString()</c>).</summary>
    public SdpFingerprint Fingerprint => Certificate.Fingerprint;

    public DtlsOptions Options { get; }

    /// <summary>Handshakes in progress now, each on its thread (under <see cref="DtlsOptions.MaxConcurrentHandshakes"/>).</summary>
    public int ActiveHandshakes => Volatile.Read(ref _active);

    /// <summary>Successful handshakes still reading their records (under <see cref="DtlsOptions.MaxLingering"/>).</summary>
    public int LingeringHandshakes => Volatile.Read(ref _lingering);

    /// <summary>Handshakes refused because <see cref="DtlsOptions.MaxConcurrentHandshakes"/> were running.</summary>
    public long RefusedHandshakes => Volatile.Read(ref _refused);

    /// <summary>Successful handshakes that did not linger because <see cref="DtlsOptions.MaxLingering"/> were lingering.</summary>
    public long LingersSkipped => Volatile.Read(ref _lingerSkipped);

    internal BcTlsCrypto Crypto { get; }

    internal ILogger Logger { get; }

    /// <summary>
    /// A passive (server-role, RFC 5763 §5 "a=setup:passive") DTLS-SRTP handshake with the peer at <paramref name="remote"/>, whose
    /// certificate must match one of <paramref name="remoteFingerprints"/> (the <c>a=fingerprint</c> lines of its SDP). Nothing
    /// runs until <see cref="DtlsSrtpHandshake.RunAsync"/>; datagrams may be queued before that.
    /// </summary>
    /// <param name="remote">Copied: the receive loop may reuse its instance.</param>
    public DtlsSrtpHandshake CreateHandshake(IDatagramSender sender, SocketAddress remote, IReadOnlyList<SdpFingerprint> remoteFingerprints)
    {
        var copy = new SocketAddress(remote.Family, remote.Size);
        remote.Buffer.Span[..remote.Size].CopyTo(copy.Buffer.Span);
        var transport = new QueuedDatagramTransport(sender, copy, Options.ReceiveQueueCapacity, Options.ReceiveLimit, Options.SendLimit);
        var peer = new SrtpTlsServer(
            Crypto, _bcCertificate, Certificate.PrivateKey, remoteFingerprints.ToArray(), (int)Options.HandshakeTimeout.TotalMilliseconds);
        return new DtlsSrtpHandshake(this, transport, peer, copy);
    }

    internal bool TryAcquireSlot()
    {
        while (true)
        {
            var active = Volatile.Read(ref _active);
            if (active >= Options.MaxConcurrentHandshakes)
            {
                Interlocked.Increment(ref _refused);
                return false;
            }
            if (Interlocked.CompareExchange(ref _active, active + 1, active) == active)
            {
                return true;
            }
        }
    }

    internal void ReleaseSlot() => Interlocked.Decrement(ref _active);

    internal bool TryAcquireLinger()
    {
        if (Interlocked.Increment(ref _lingering) <= Options.MaxLingering)
        {
            return true;
        }
        Interlocked.Decrement(ref _lingering);
        Interlocked.Increment(ref _lingerSkipped);
        return false;
    }

    internal void ReleaseLinger() => Interlocked.Decrement(ref _lingering);

    internal static string Describe(SocketAddress address)
    {
        try
        {
            var template = address.Family == System.Net.Sockets.AddressFamily.InterNetworkV6
                ? new IPEndPoint(IPAddress.IPv6Any, 0)
                : new IPEndPoint(IPAddress.Any, 0);
            return template.Create(address).ToString() ?? address.Family.ToString();
        }
        catch (ArgumentException)
        {
            return address.Family.ToString();
        }
    }
}
