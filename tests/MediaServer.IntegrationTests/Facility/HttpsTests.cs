using MediaServer.Testing;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests.Facility;

/// <summary>
/// The server terminating TLS itself (docs/deploy.md): the real server process serves a certificate openssl made for the test,
/// from PEM files or a PKCS#12 file, and serves a renewed one to new connections without a restart.
/// </summary>
public sealed class HttpsTests(ITestOutputHelper output) : IDisposable
{
    private const string PlainHttpWarning = "browsers give camera and microphone only to HTTPS pages";

    // Renewal is noticed by a file watch plus half a second's settling; on a loaded 2-core machine the server may need a few
    // seconds more to run the reload, so the bound is generous (it passes in about a second here when idle).
    private static readonly TimeSpan ReloadTimeout = TimeSpan.FromSeconds(30);

    private readonly string _certificates = Directory.CreateTempSubdirectory("mediaserver-tls-").FullName;

    [Fact]
    public async Task Pem_certificate_is_served_and_a_renewed_one_is_served_without_restart()
    {
        var certificate = Path.Combine(_certificates, "fullchain.pem");
        var key = Path.Combine(_certificates, "privkey.pem");
        var first = await TestCertificates.MakePemAsync(certificate, key, "first.test");
        var httpsPort = PortAllocator.FreeTcpPort();
        await using var server = await ServerProcess.StartAsync(output, null, new Dictionary<string, string>
        {
            ["MediaServer__Https__CertificatePath"] = certificate,
            ["MediaServer__Https__KeyPath"] = key,
        }, extraUrls: $"https://127.0.0.1:{httpsPort}");
        var address = new Uri($"https://127.0.0.1:{httpsPort}/");

        Assert.Equal(first, await TestCertificates.ServedThumbprintAsync(address));

        // A renewal as certbot does it: new files written beside the old ones, then moved over them.
        var second = await TestCertificates.MakePemAsync(certificate + ".new", key + ".new", "second.test");
        Assert.NotEqual(first, second);
        File.Move(key + ".new", key, overwrite: true);
        File.Move(certificate + ".new", certificate, overwrite: true);

        await Poll.UntilAsync(() => TestCertificates.ServedThumbprintAsync(address), served => served == second, ReloadTimeout,
            "the renewed certificate to be served", TimeSpan.FromMilliseconds(250));
        Assert.False(server.Process.HasExited);
        Assert.Contains("the renewed certificate for CN=second.test", server.Log, StringComparison.Ordinal);
        // Loopback HTTP and HTTPS only: nothing to warn about.
        Assert.DoesNotContain(PlainHttpWarning, server.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pkcs12_certificate_with_a_password_is_served()
    {
        var pfx = Path.Combine(_certificates, "server.p12");
        var thumbprint = await TestCertificates.MakePkcs12Async(_certificates, pfx, "s3cret-pass", "pkcs12.test");
        var httpsPort = PortAllocator.FreeTcpPort();
        await using var server = await ServerProcess.StartAsync(output, null, new Dictionary<string, string>
        {
            ["MediaServer__Https__CertificatePath"] = pfx,
            ["MediaServer__Https__Password"] = "s3cret-pass",
        }, extraUrls: $"https://127.0.0.1:{httpsPort}");

        Assert.Equal(thumbprint, await TestCertificates.ServedThumbprintAsync(new Uri($"https://127.0.0.1:{httpsPort}/")));
    }

    [Fact]
    public async Task Plain_http_on_a_non_loopback_address_is_called_out_at_start()
    {
        var port = PortAllocator.FreeTcpPort();
        await using var server = await ServerProcess.StartAsync(output, null, null, extraUrls: $"http://0.0.0.0:{port}");

        await Poll.UntilAsync(() => server.Log.Contains(PlainHttpWarning, StringComparison.Ordinal), TimeSpan.FromSeconds(20),
            "the plain-HTTP warning in the log");
        Assert.Contains($"http://0.0.0.0:{port}", server.Log, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_certificates, recursive: true);
}
