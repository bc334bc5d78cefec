namespace MediaServer.Hosting.Https;

/// <summary>
/// MediaServer:Https: the certificate Kestrel serves on every https:// address in Urls (docs/deploy.md, "The server terminates
/// TLS"). Either PEM files (CertificatePath holding the certificate and any intermediates, KeyPath the private key; Password only
/// for an encrypted key) or one PKCS#12 file (CertificatePath ending .pfx or .p12, Password if it has one). The files are watched
/// and a renewed certificate is served to new connections without a restart.
/// </summary>
public sealed class HttpsOptions
{
    /// <summary>PEM certificate (with the chain after it), or a .pfx/.p12 file. Empty: no HTTPS.</summary>
    public string CertificatePath { get; set; } = "";

    /// <summary>PEM private key for a PEM certificate; empty reads the key from CertificatePath itself.</summary>
    public string KeyPath { get; set; } = "";

    /// <summary>The PKCS#12 file's password, or the encrypted PEM key's; empty for none.</summary>
    public string Password { get; set; } = "";

    public bool Enabled => !string.IsNullOrWhiteSpace(CertificatePath);

    public bool IsPkcs12 => CertificatePath.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase)
        || CertificatePath.EndsWith(".p12", StringComparison.OrdinalIgnoreCase);

    /// <summary>The files to watch, as full paths (relative paths resolve against the working directory).</summary>
    public IReadOnlyList<string> Files()
    {
        var files = new List<string> { Path.GetFullPath(CertificatePath) };
        if (!IsPkcs12 && !string.IsNullOrWhiteSpace(KeyPath))
        {
            files.Add(Path.GetFullPath(KeyPath));
        }
        return files;
    }

    /// <summary>One line per problem with the files (missing, unreadable, not a certificate with its key); empty when they load.</summary>
    public IEnumerable<string> Problems()
    {
        if (!Enabled)
        {
            if (!string.IsNullOrWhiteSpace(KeyPath))
            {
                yield return "MediaServer:Https:KeyPath is set but CertificatePath is empty.";
            }
            yield break;
        }
        if (IsPkcs12 && !string.IsNullOrWhiteSpace(KeyPath))
        {
            yield return "MediaServer:Https:KeyPath must be empty for a PKCS#12 certificate (the key is inside the .pfx/.p12 file).";
            yield break;
        }
        var missing = false;
        foreach (var file in Files())
        {
            if (!File.Exists(file))
            {
                missing = true;
                yield return $"MediaServer:Https: the file {file} does not exist.";
            }
        }
        if (missing)
        {
            yield break;
        }
        string? failure = null;
        try
        {
            using var certificate = ServerCertificate.Load(this);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            failure = $"MediaServer:Https: {string.Join(" and ", Files())} could not be loaded as a certificate with its private key: {e.Message.Trim()}";
        }
        if (failure is not null)
        {
            yield return failure;
        }
    }
}
