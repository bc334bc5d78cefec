using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using MediaServer.Codecs.Sdp;
using MediaServer.Transport.WebRtc;
using Xunit;

namespace MediaServer.Tests.WebRtc;

public sealed class DtlsCertificateTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "dtls-cert-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public void The_certificate_persists_across_loads_from_the_same_directory()
    {
        var first = DtlsCertificate.LoadOrCreate(_directory);
        var second = DtlsCertificate.LoadOrCreate(_directory);

        Assert.Equal(first.Fingerprint, second.Fingerprint);
        Assert.True(first.Der.SequenceEqual(second.Der));
        Assert.NotEqual(first.Fingerprint, DtlsCertificate.CreateEphemeral().Fingerprint);
    }

    [Fact]
    public void The_fingerprint_is_sha256_in_sdp_form()
    {
        var certificate = DtlsCertificate.LoadOrCreate(_directory);

        Assert.Matches(new Regex("^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$"), certificate.Fingerprint.ToString());
        Assert.True(SdpFingerprint.TryParse(certificate.Fingerprint.ToString(), out var parsed, out _));
        Assert.True(CertificateFingerprint.MatchesAny([parsed!], certificate.Der));
    }

    [Fact]
    public void The_key_file_is_readable_by_its_owner_only()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        DtlsCertificate.LoadOrCreate(_directory);

        var mode = File.GetUnixFileMode(Path.Combine(_directory, DtlsCertificate.FileName));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }

    [Fact]
    public void The_certificate_is_ecdsa_p256_and_self_signed()
    {
        var certificate = DtlsCertificate.LoadOrCreate(_directory);

        using var x509 = X509CertificateLoader.LoadCertificate(certificate.Der);
        using var key = x509.GetECDsaPublicKey();
        Assert.NotNull(key);
        Assert.Equal(256, key.KeySize);
        Assert.Equal(x509.Subject, x509.Issuer);
    }

    [Fact]
    public void A_certificate_near_expiry_is_replaced()
    {
        var first = DtlsCertificate.LoadOrCreate(_directory);
        var later = new FixedTime(first.NotAfter.AddDays(-1));

        var renewed = DtlsCertificate.LoadOrCreate(_directory, later);

        Assert.NotEqual(first.Fingerprint, renewed.Fingerprint);
        Assert.Equal(renewed.Fingerprint, DtlsCertificate.LoadOrCreate(_directory, later).Fingerprint);
    }

    [Fact]
    public void An_unreadable_file_is_replaced_by_a_new_certificate()
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Path.Combine(_directory, DtlsCertificate.FileName), "not a certificate");

        var certificate = DtlsCertificate.LoadOrCreate(_directory);

        Assert.Equal(certificate.Fingerprint, DtlsCertificate.LoadOrCreate(_directory).Fingerprint);
    }

    [Fact]
    public void Fingerprints_with_hash_functions_we_cannot_compute_never_match()
    {
        var certificate = DtlsCertificate.CreateEphemeral();
        var md5Like = new SdpFingerprint("md5", new byte[16]);
        var sha1 = CertificateFingerprint.Compute("sha-1", certificate.Der)!;
        var wrongSha1 = new SdpFingerprint("sha-1", new byte[20]);

        Assert.False(CertificateFingerprint.MatchesAny([md5Like], certificate.Der));
        Assert.False(CertificateFingerprint.MatchesAny([], certificate.Der));
        Assert.False(CertificateFingerprint.MatchesAny([wrongSha1], certificate.Der));
        Assert.True(CertificateFingerprint.MatchesAny([md5Like, wrongSha1, sha1], certificate.Der));
        Assert.Null(CertificateFingerprint.Compute("sha-224", certificate.Der));
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
