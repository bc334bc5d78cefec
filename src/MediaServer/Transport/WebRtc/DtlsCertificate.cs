using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MediaServer.Codecs.Sdp;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace MediaServer.Transport.WebRtc;

/// <summary>
/// The server's DTLS identity: an ECDSA P-256 self-signed certificate, made once and kept in {KeyDirectory}/dtls-cert.pem
/// (certificate and PKCS#8 key in one file, owner-only permissions) so that restarts keep the same fingerprint. WebRTC trusts it
/// through the <c>a=fingerprint</c> of our SDP answer, not through a CA (RFC 8827 §6.5), so its subject and issuer mean nothing;
/// an expiring or unreadable file is simply replaced, because every answer carries the current fingerprint anyway.
/// </summary>
public sealed class DtlsCertificate
{
    public const string FileName = "dtls-cert.pem";

    /// <summary>Replaced when it would expire within this long, so a long visit never runs on an expired certificate.</summary>
    private static readonly TimeSpan RenewBefore = TimeSpan.FromDays(30);

    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(365);

    private readonly byte[] _der;

    private DtlsCertificate(byte[] der, byte[] pkcs8PrivateKey, DateTimeOffset notAfter)
    {
        _der = der;
        NotAfter = notAfter;
        Fingerprint = CertificateFingerprint.Compute("sha-256", der)!;
        // Converted once: every handshake signs with this BouncyCastle key and sends this DER.
        PrivateKey = PrivateKeyFactory.CreateKey(pkcs8PrivateKey);
        CryptographicOperations.ZeroMemory(pkcs8PrivateKey);
    }

    /// <summary>The SHA-256 fingerprint for our SDP (<c>ToString()</c> gives <c>sha-256 AB:CD:…</c>, RFC 8122 §5).</summary>
    public SdpFingerprint Fingerprint { get; }

    /// <summary>The DER encoding of the certificate.</summary>
    public ReadOnlySpan<byte> Der => _der;

    public DateTimeOffset NotAfter { get; }

    internal AsymmetricKeyParameter PrivateKey { get; }

    /// <summary>Loads {keysDirectory}/dtls-cert.pem, or makes and stores a new certificate when it is missing, unreadable or near expiry.</summary>
    public static DtlsCertificate LoadOrCreate(string keysDirectory, TimeProvider? time = null)
    {
        var now = (time ?? TimeProvider.System).GetUtcNow();
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(keysDirectory);
        }
        else
        {
            Directory.CreateDirectory(keysDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var path = Path.Combine(keysDirectory, FileName);
        if (TryLoad(path, now) is { } existing)
        {
            return existing;
        }

        var replacing = File.Exists(path);
        var (certificate, pem) = Generate(now);
        var temp = path + "." + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".tmp";
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var stream = new FileStream(temp, fileOptions))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(pem);
        }
        try
        {
            // Two processes starting at once must agree on one certificate: the first rename wins, unless we replace a bad one.
            File.Move(temp, path, overwrite: replacing);
        }
        catch (IOException)
        {
            File.Delete(temp);
            return TryLoad(path, now) ?? throw new InvalidOperationException($"Could not read the DTLS certificate in {path}.");
        }
        return certificate;
    }

    /// <summary>A certificate kept only in memory (tests, tools): a new fingerprint each time.</summary>
    public static DtlsCertificate CreateEphemeral(TimeProvider? time = null) =>
        Generate((time ?? TimeProvider.System).GetUtcNow()).Certificate;

    /// <summary>Wraps an existing certificate with an ECDSA private key (used by tests to play a WebRTC client).</summary>
    public static DtlsCertificate FromX509(X509Certificate2 certificate)
    {
        using var key = certificate.GetECDsaPrivateKey()
            ?? throw new ArgumentException("The certificate has no ECDSA private key.", nameof(certificate));
        return new DtlsCertificate(certificate.RawData, key.ExportPkcs8PrivateKey(), certificate.NotAfter.ToUniversalTime());
    }

    /// <summary>The certificate chain as BouncyCastle sends it: just this self-signed certificate.</summary>
    internal Certificate ToBouncyCastle(BcTlsCrypto crypto) =>
        new(new TlsCertificate[] { new BcTlsCertificate(crypto, _der) });

    private static DtlsCertificate? TryLoad(string path, DateTimeOffset now)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            using var certificate = X509Certificate2.CreateFromPemFile(path);
            if (certificate.NotAfter.ToUniversalTime() - RenewBefore <= now.UtcDateTime)
            {
                return null;
            }
            return FromX509(certificate);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or IOException)
        {
            return null;
        }
    }

    private static (DtlsCertificate Certificate, string Pem) Generate(DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=MediaServer", key, HashAlgorithmName.SHA256);
        // Backdated a day so that a peer whose clock runs behind ours does not see a certificate from the future.
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.Add(Lifetime));
        var pkcs8 = key.ExportPkcs8PrivateKey();
        var pem = certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n";
        return (new DtlsCertificate(certificate.RawData, pkcs8, certificate.NotAfter.ToUniversalTime()), pem);
    }
}
