using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace MediaServer.Hosting.Https;

/// <summary>
/// The certificate being served and its chain (the intermediates after the leaf in a PEM file, or the other certificates in a
/// PKCS#12 file), sent whole in every handshake so that a browser needs nothing but its root store.
/// </summary>
public sealed class ServerCertificate : IDisposable
{
    private ServerCertificate(X509Certificate2 leaf, X509Certificate2Collection intermediates)
    {
        Leaf = leaf;
        Intermediates = intermediates;
        Context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
    }

    public X509Certificate2 Leaf { get; }

    public X509Certificate2Collection Intermediates { get; }

    public SslStreamCertificateContext Context { get; }

    /// <summary>Reads the configured files; throws (CryptographicException, IOException) when they do not hold a certificate with its key.</summary>
    public static ServerCertificate Load(HttpsOptions options)
    {
        var password = string.IsNullOrEmpty(options.Password) ? null : options.Password;
        var certificatePath = Path.GetFullPath(options.CertificatePath);
        if (options.IsPkcs12)
        {
            var all = X509CertificateLoader.LoadPkcs12CollectionFromFile(certificatePath, password, X509KeyStorageFlags.EphemeralKeySet);
            X509Certificate2? leaf = null;
            var rest = new X509Certificate2Collection();
            foreach (var certificate in all)
            {
                if (leaf is null && certificate.HasPrivateKey)
                {
                    leaf = certificate;
                }
                else
                {
                    rest.Add(certificate);
                }
            }
            return leaf is null
                ? throw new System.Security.Cryptography.CryptographicException("the PKCS#12 file holds no certificate with a private key")
                : new ServerCertificate(leaf, rest);
        }
        var keyPath = string.IsNullOrWhiteSpace(options.KeyPath) ? null : Path.GetFullPath(options.KeyPath);
        var pemLeaf = password is null
            ? X509Certificate2.CreateFromPemFile(certificatePath, keyPath)
            : X509Certificate2.CreateFromEncryptedPemFile(certificatePath, password, keyPath);
        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(certificatePath);
        var intermediates = new X509Certificate2Collection();
        foreach (var certificate in chain)
        {
            if (certificate.Thumbprint != pemLeaf.Thumbprint)
            {
                intermediates.Add(certificate);
            }
            else
            {
                certificate.Dispose();
            }
        }
        return new ServerCertificate(pemLeaf, intermediates);
    }

    public void Dispose()
    {
        Leaf.Dispose();
        foreach (var certificate in Intermediates)
        {
            certificate.Dispose();
        }
    }
}
