using MediaServer.Codecs.Sdp;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace MediaServer.Transport.WebRtc;

/// <summary>
/// The BouncyCastle server peer for one WebRTC leg: DTLS 1.2 only, ECDHE-ECDSA AEAD suites, use_srtp with the profiles we can
/// protect, a mandatory client certificate checked against the remote SDP fingerprint, and the SRTP keying material exported
/// once the handshake completes. It records why a handshake failed so the caller can report a kind instead of an exception.
/// </summary>
internal sealed class SrtpTlsServer : DefaultTlsServer
{
    // Our order of preference for RFC 5764 §4.1.2 profiles, which decides among those the client offers (ProcessClientExtensions).
    private static readonly int[] SupportedProfiles = [SrtpProfiles.AeadAes128Gcm, SrtpProfiles.Aes128CmHmacSha1_80];

    private static readonly int[] CipherSuites =
    [
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ];

    private readonly BcTlsCrypto _crypto;
    private readonly Certificate _certificate;
    private readonly AsymmetricKeyParameter _privateKey;
    private readonly IReadOnlyList<SdpFingerprint> _remoteFingerprints;
    private readonly int _handshakeTimeoutMillis;
    private int _selectedProfile;
    private volatile bool _remoteClosed;

    public SrtpTlsServer(
        BcTlsCrypto crypto,
        Certificate certificate,
        AsymmetricKeyParameter privateKey,
        IReadOnlyList<SdpFingerprint> remoteFingerprints,
        int handshakeTimeoutMillis)
        : base(crypto)
    {
        _crypto = crypto;
        _certificate = certificate;
        _privateKey = privateKey;
        _remoteFingerprints = remoteFingerprints;
        _handshakeTimeoutMillis = handshakeTimeoutMillis;
    }

    /// <summary>Set when the client certificate was missing or matched no fingerprint.</summary>
    public string? FingerprintFailure { get; private set; }

    /// <summary>Why we refused the client's hello (no use_srtp, no common profile), for the result's reason.</summary>
    public string? NegotiationFailure { get; private set; }

    /// <summary>Called on the handshake thread when the peer sends close_notify.</summary>
    public Action? RemoteCloseReceived { get; set; }

    /// <summary>The last fatal alert we raised or received, described for logs.</summary>
    public string? LastAlert { get; private set; }

    /// <summary>True once the peer sent close_notify (RFC 5246 §7.2.1).</summary>
    public bool RemoteClosed => _remoteClosed;

    /// <summary>Set by <see cref="NotifyHandshakeComplete"/>; null until then.</summary>
    public DtlsSrtpKeys? Keys { get; private set; }

    // RFC 6347 §4.1.2.7: invalid records are silently discarded rather than failing the association, so a stray or forged
    // datagram on the shared port cannot tear down a leg.
    public override bool IgnoreCorruptDtlsRecords => true;

    public override int GetHandshakeTimeoutMillis() => _handshakeTimeoutMillis;

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    protected override int[] GetSupportedCipherSuites() => CipherSuites;

    public override void ProcessClientExtensions(IDictionary<int, byte[]> clientExtensions)
    {
        base.ProcessClientExtensions(clientExtensions);
        var useSrtp = TlsSrtpUtilities.GetUseSrtpExtension(clientExtensions)
            ?? throw Fail(AlertDescription.handshake_failure, "the client did not offer use_srtp (RFC 5764 §4.1.1)");
        // RFC 5764 §4.1.1: the server picks one of the profiles the client offered (never another). Ours decides among them:
        // AEAD first, as RFC 8827 §6.5 asks WebRTC endpoints to favour it (Chromium lists AES-CM ahead of AES-GCM).
        foreach (var supported in SupportedProfiles)
        {
            if (Array.IndexOf(useSrtp.ProtectionProfiles, supported) >= 0)
            {
                _selectedProfile = supported;
                return;
            }
        }
        throw Fail(AlertDescription.handshake_failure, "no SRTP protection profile in common");
    }

    public override IDictionary<int, byte[]> GetServerExtensions()
    {
        var extensions = TlsExtensionsUtilities.EnsureExtensionsInitialised(base.GetServerExtensions());
        // RFC 5764 §4.1.1: exactly one profile, and an empty MKI (we never use one).
        TlsSrtpUtilities.AddUseSrtpExtension(extensions, new UseSrtpData([_selectedProfile], []));
        return extensions;
    }

    // WebRTC endpoints always present a certificate (RFC 8827 §6.5); asking for one is how the fingerprint gets checked.
    public override CertificateRequest GetCertificateRequest() =>
        new(
            [ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign],
            TlsUtilities.GetDefaultSupportedSignatureAlgorithms(m_context),
            null);

    public override void NotifyClientCertificate(Certificate clientCertificate)
    {
        if (clientCertificate is null || clientCertificate.IsEmpty)
        {
            FingerprintFailure = "the client presented no certificate";
            throw new TlsFatalAlert(AlertDescription.certificate_required, FingerprintFailure);
        }
        // RFC 8122 §5: the fingerprint is a hash over the DER of the end-entity certificate, the first of the chain.
        var endEntity = clientCertificate.GetCertificateAt(0).GetEncoded();
        if (!CertificateFingerprint.MatchesAny(_remoteFingerprints, endEntity))
        {
            var actual = CertificateFingerprint.Compute("sha-256", endEntity);
            FingerprintFailure = _remoteFingerprints.Count == 0
                ? "the remote SDP carried no fingerprint"
                : $"client certificate {actual} matches none of the SDP fingerprints ({string.Join(", ", _remoteFingerprints)})";
            throw new TlsFatalAlert(AlertDescription.bad_certificate, FingerprintFailure);
        }
        // CertificateVerify, checked by BC with this certificate's key, then proves the client holds the private key.
    }

    protected override TlsCredentialedSigner GetECDsaSignerCredentials()
    {
        var signatureAlgorithm = TlsUtilities.ChooseSignatureAndHashAlgorithm(
            m_context, m_context.SecurityParameters.ClientSigAlgs, SignatureAlgorithm.ecdsa);
        return new BcDefaultTlsCredentialedSigner(
            new TlsCryptoParameters(m_context), _crypto, _privateKey, _certificate, signatureAlgorithm);
    }

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        var keyLength = SrtpProfiles.KeyLength(_selectedProfile);
        var saltLength = SrtpProfiles.SaltLength(_selectedProfile);
        // RFC 5764 §4.2: client_write_SRTP_master_key | server_write_SRTP_master_key | client_write_SRTP_master_salt |
        // server_write_SRTP_master_salt, exported with the label "EXTRACTOR-dtls_srtp" and no context (RFC 5705).
        var material = m_context.ExportKeyingMaterial(ExporterLabel.dtls_srtp, null, 2 * (keyLength + saltLength));
        var clientKey = material.AsSpan(0, keyLength).ToArray();
        var serverKey = material.AsSpan(keyLength, keyLength).ToArray();
        var clientSalt = material.AsSpan(2 * keyLength, saltLength).ToArray();
        var serverSalt = material.AsSpan(2 * keyLength + saltLength, saltLength).ToArray();
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(material);
        // As the DTLS server we protect with the server write keys and unprotect the client's packets with the client's.
        Keys = new DtlsSrtpKeys(_selectedProfile, serverKey, serverSalt, clientKey, clientSalt);
    }

    public override void NotifyAlertRaised(short alertLevel, short alertDescription, string message, Exception cause)
    {
        if (alertLevel == AlertLevel.fatal)
        {
            LastAlert = $"sent {AlertDescription.GetText(alertDescription)}" + (message is null ? "" : $": {message}");
        }
    }

    public override void NotifyAlertReceived(short alertLevel, short alertDescription)
    {
        if (alertDescription == AlertDescription.close_notify)
        {
            _remoteClosed = true;
            RemoteCloseReceived?.Invoke();
        }
        else if (alertLevel == AlertLevel.fatal)
        {
            LastAlert = $"received {AlertDescription.GetText(alertDescription)}";
        }
    }

    private TlsFatalAlert Fail(short alertDescription, string reason)
    {
        NegotiationFailure = reason;
        return new TlsFatalAlert(alertDescription, reason);
    }
}
