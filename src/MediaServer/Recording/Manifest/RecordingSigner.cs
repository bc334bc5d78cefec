using System.Security.Cryptography;

namespace MediaServer.Recording.Manifest;

/// <summary>
/// The server's manifest-signing key: ECDSA P-256, made once and kept in {KeyDirectory}/recording-signing.pem (owner-only).
/// Signatures are DER (RFC 3279) over SHA-256, so anyone can check a manifest with the exported public key and openssl:
/// <c>openssl dgst -sha256 -verify public-key.pem -signature manifest.sig manifest.json</c>.
/// </summary>
public sealed class RecordingSigner : IDisposable
{
    public const string FileName = "recording-signing.pem";

    private readonly ECDsa _key;

    public RecordingSigner(string keyDirectory)
    {
        var path = Path.Combine(keyDirectory, FileName);
        _key = ECDsa.Create();
        if (!File.Exists(path))
        {
            using var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var temp = path + ".tmp";
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            using (var stream = new FileStream(temp, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(fresh.ExportPkcs8PrivateKeyPem());
            }
            try
            {
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temp); // Another process made it first; use theirs.
            }
        }
        _key.ImportFromPem(File.ReadAllText(path));
        PublicKeyPem = _key.ExportSubjectPublicKeyInfoPem();
        KeyId = KeyIdOf(_key);
    }

    /// <summary>SubjectPublicKeyInfo PEM: what verifiers need.</summary>
    public string PublicKeyPem { get; }

    /// <summary>SHA-256 of the public key's DER, hex: names the key in manifests.</summary>
    public string KeyId { get; }

    public byte[] Sign(ReadOnlySpan<byte> data) =>
        _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

    public static string KeyIdOf(ECDsa key) => Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));

    public static bool Verify(ECDsa publicKey, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        publicKey.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

    public ECDsa PublicKey()
    {
        var copy = ECDsa.Create();
        copy.ImportFromPem(PublicKeyPem);
        return copy;
    }

    public void Dispose() => _key.Dispose();
}
