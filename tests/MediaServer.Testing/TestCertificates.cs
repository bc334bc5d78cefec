using System.Security.Cryptography.X509Certificates;

namespace MediaServer.Testing;

/// <summary>Self-signed certificates made by the openssl command line at test time (as an operator would make a test one).</summary>
public static class TestCertificates
{
    private static readonly TimeSpan OpensslTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Writes a P-256 certificate for localhost and 127.0.0.1 and its key; returns the certificate's SHA-1 thumbprint.</summary>
    public static async Task<string> MakePemAsync(string certificatePath, string keyPath, string commonName)
    {
        var result = await ProcessRunner.RunAsync("openssl",
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                "-subj", "/CN=" + commonName, "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout", keyPath, "-out", certificatePath],
            OpensslTimeout);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException("openssl req failed: " + result);
        }
        return Thumbprint(certificatePath);
    }

    /// <summary>The same in one PKCS#12 file protected by <paramref name="password"/>; returns the thumbprint.</summary>
    public static async Task<string> MakePkcs12Async(string directory, string path, string password, string commonName)
    {
        var certificate = Path.Combine(directory, commonName + ".crt");
        var key = Path.Combine(directory, commonName + ".key");
        var thumbprint = await MakePemAsync(certificate, key, commonName);
        var result = await ProcessRunner.RunAsync("openssl",
            ["pkcs12", "-export", "-in", certificate, "-inkey", key, "-out", path, "-passout", "pass:" + password], OpensslTimeout);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException("openssl pkcs12 failed: " + result);
        }
        return thumbprint;
    }

    public static string Thumbprint(string pemPath)
    {
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(pemPath));
        return certificate.Thumbprint;
    }

    /// <summary>The thumbprint of the certificate a fresh TLS connection to <paramref name="address"/> is given (a self-signed one is accepted).</summary>
    public static async Task<string> ServedThumbprintAsync(Uri address)
    {
        string served = "none";
        using var handler = new SocketsHttpHandler
        {
            SslOptions =
            {
                // Self-signed, so the chain is untrusted; the name (127.0.0.1 in the certificate) must still match.
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    served = certificate is null ? "none" : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()).Thumbprint;
                    return errors is System.Net.Security.SslPolicyErrors.None or System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors;
                },
            },
        };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            using var response = await http.GetAsync(new Uri(address, "healthz"));
            return response.IsSuccessStatusCode ? served : $"HTTP {(int)response.StatusCode} with {served}";
        }
        catch (HttpRequestException e)
        {
            return "no answer: " + e.Message;
        }
    }
}
