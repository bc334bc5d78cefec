using System.Security.Cryptography;

namespace MediaServer.Codecs.Stun;

public readonly ref partial struct StunMessage
{
    /// <summary>
    /// RFC 8489 §14.7: FINGERPRINT is the CRC-32 of the message up to (not including) the attribute, XOR 0x5354554E.
    /// Because FINGERPRINT is the last attribute, the length field as received is the one the sender hashed.
    /// False when there is no FINGERPRINT.
    /// </summary>
    public bool VerifyFingerprint()
    {
        if (!TryGetFingerprint(out uint fingerprint))
        {
            return false;
        }

        return (StunCrc32.Compute(_datagram[..FingerprintOffset]) ^ FingerprintXor) == fingerprint;
    }

    /// <summary>
    /// Checks MESSAGE-INTEGRITY (RFC 8489 §14.5) with <paramref name="key"/>: for short-term credentials, as ICE uses
    /// them, the key is the password's UTF-8 bytes (§9.1.1; RFC 8445 §7.2.2 — the receiver's own ice-pwd).
    /// The HMAC-SHA1 input is the message up to the attribute with the length field counting the attribute as the
    /// last; the comparison takes the same time whatever bytes differ. False when there is no MESSAGE-INTEGRITY.
    /// </summary>
    public bool VerifyMessageIntegrity(ReadOnlySpan<byte> key)
    {
        if (!TryGetMessageIntegrity(out var received))
        {
            return false;
        }

        int offset = MessageIntegrityOffset;
        Span<byte> computed = stackalloc byte[StunIntegrity.Sha1Length];
        StunIntegrity.Compute(false, key, _datagram[..offset], offset + 4 + StunIntegrity.Sha1Length - HeaderLength, computed);
        return CryptographicOperations.FixedTimeEquals(computed, received);
    }

    /// <summary>
    /// Checks MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6) with <paramref name="key"/>, as
    /// <see cref="VerifyMessageIntegrity"/> does; a truncated value is compared with the same leading bytes of the MAC.
    /// </summary>
    public bool VerifyMessageIntegritySha256(ReadOnlySpan<byte> key)
    {
        if (!TryGetMessageIntegritySha256(out var received))
        {
            return false;
        }

        int offset = MessageIntegritySha256Offset;
        Span<byte> computed = stackalloc byte[StunIntegrity.Sha256Length];
        StunIntegrity.Compute(true, key, _datagram[..offset], offset + 4 + received.Length - HeaderLength, computed);
        return CryptographicOperations.FixedTimeEquals(computed[..received.Length], received);
    }

    /// <summary>RFC 8489 §14.7: "STUN" in ASCII, so a CRC over non-STUN data is unlikely to look right.</summary>
    internal const uint FingerprintXor = 0x5354554E;
}
