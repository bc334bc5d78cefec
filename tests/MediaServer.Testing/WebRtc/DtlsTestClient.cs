using System.Net;
using MediaServer.Codecs.Sdp;
using MediaServer.Transport.WebRtc;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace MediaServer.Testing.WebRtc;

/// <summary>
/// A WebRTC-like DTLS client on BouncyCastle: offers use_srtp, presents its own ECDSA certificate, checks the server's certificate
/// against the fingerprint it was given, and exports the RFC 5764 keying material. The handshake tests' client, and the
/// load generator's (bench/MediaServer.LoadGen, its WebRTC legs).
/// </summary>
public sealed class DtlsTestClient : DefaultTlsClient
{
    private readonly BcTlsCrypto _crypto;
    private readonly DtlsCertificate _certificate;
    private readonly SdpFingerprint _serverFingerprint;
    private readonly int[] _profiles;
    private readonly bool _offerUseSrtp;

    public DtlsTestClient(BcTlsCrypto crypto, DtlsCertificate certificate, SdpFingerprint serverFingerprint, int[] profiles, bool offerUseSrtp = true)
        : base(crypto)
    {
        _crypto = crypto;
        _certificate = certificate;
        _serverFingerprint = serverFingerprint;
        _profiles = profiles;
        _offerUseSrtp = offerUseSrtp;
    }

    public int SelectedProfile { get; private set; }

    /// <summary>The four RFC 5764 §4.2 pieces in wire order: client key, server key, client salt, server salt.</summary>
    public (byte[] ClientKey, byte[] ServerKey, byte[] ClientSalt, byte[] ServerSalt) Material { get; private set; }

    public bool ServerFingerprintChecked { get; private set; }

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    protected override int[] GetSupportedCipherSuites() => [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256];

    public override int GetHandshakeTimeoutMillis() => 5000;

    public override IDictionary<int, byte[]> GetClientExtensions()
    {
        var extensions = TlsExtensionsUtilities.EnsureExtensionsInitialised(base.GetClientExtensions());
        if (_offerUseSrtp)
        {
            TlsSrtpUtilities.AddUseSrtpExtension(extensions, new UseSrtpData(_profiles, []));
        }
        return extensions;
    }

    public override void ProcessServerExtensions(IDictionary<int, byte[]> serverExtensions)
    {
        base.ProcessServerExtensions(serverExtensions);
        var useSrtp = TlsSrtpUtilities.GetUseSrtpExtension(serverExtensions);
        SelectedProfile = useSrtp is { ProtectionProfiles.Length: 1 } ? useSrtp.ProtectionProfiles[0] : 0;
    }

    public override TlsAuthentication GetAuthentication() => new Authentication(this);

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        var keyLength = SrtpProfiles.KeyLength(SelectedProfile);
        var saltLength = SrtpProfiles.SaltLength(SelectedProfile);
        var material = m_context.ExportKeyingMaterial(ExporterLabel.dtls_srtp, null, 2 * (keyLength + saltLength));
        Material = (
            material[..keyLength],
            material[keyLength..(2 * keyLength)],
            material[(2 * keyLength)..(2 * keyLength + saltLength)],
            material[(2 * keyLength + saltLength)..]);
    }

    private sealed class Authentication(DtlsTestClient client) : TlsAuthentication
    {
        public void NotifyServerCertificate(TlsServerCertificate serverCertificate)
        {
            var der = serverCertificate.Certificate.GetCertificateAt(0).GetEncoded();
            if (!CertificateFingerprint.MatchesAny([client._serverFingerprint], der))
            {
                throw new TlsFatalAlert(AlertDescription.bad_certificate, "server fingerprint mismatch");
            }
            client.ServerFingerprintChecked = true;
        }

        public TlsCredentials GetClientCredentials(CertificateRequest certificateRequest) =>
            new BcDefaultTlsCredentialedSigner(
                new TlsCryptoParameters(client.m_context),
                client._crypto,
                client._certificate.PrivateKey,
                client._certificate.ToBouncyCastle(client._crypto),
                SignatureAndHashAlgorithm.GetInstance(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa));
    }
}
