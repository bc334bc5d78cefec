namespace MediaServer.Codecs.Srtp;

/// <summary>
/// Turns the keying material DTLS-SRTP exports ("EXTRACTOR-dtls_srtp") into the two contexts of one transport.
/// RFC 5764 §4.2 lays it out as client_write_master_key | server_write_master_key | client_write_master_salt |
/// server_write_master_salt; each side protects with its own write key and unprotects with the peer's.
/// </summary>
public static class DtlsSrtpKeyingMaterial
{
    /// <summary>Bytes to export for <paramref name="profile"/>: two master keys and two master salts.</summary>
    public static int Length(SrtpProfile profile) => 2 * (profile.MasterKeyLength() + profile.MasterSaltLength());

    /// <summary>
    /// Makes the context that unprotects what the peer sends (<c>Inbound</c>) and the one that protects what this
    /// side sends (<c>Outbound</c>). <paramref name="isDtlsServer"/> says which half of the material is ours.
    /// </summary>
    public static (SrtpContext Inbound, SrtpContext Outbound) CreateContexts(
        SrtpProfile profile, ReadOnlySpan<byte> material, bool isDtlsServer, SrtpContextOptions? options = null)
    {
        int keyLength = profile.MasterKeyLength();
        int saltLength = profile.MasterSaltLength();
        if (material.Length != Length(profile))
        {
            throw new ArgumentException($"{profile} needs {Length(profile)} bytes of keying material.", nameof(material));
        }

        ReadOnlySpan<byte> clientKey = material[..keyLength];
        ReadOnlySpan<byte> serverKey = material.Slice(keyLength, keyLength);
        ReadOnlySpan<byte> clientSalt = material.Slice(2 * keyLength, saltLength);
        ReadOnlySpan<byte> serverSalt = material.Slice((2 * keyLength) + saltLength, saltLength);

        SrtpContext client = new(profile, clientKey, clientSalt, options);
        try
        {
            SrtpContext server = new(profile, serverKey, serverSalt, options);
            return isDtlsServer ? (client, server) : (server, client);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }
}
