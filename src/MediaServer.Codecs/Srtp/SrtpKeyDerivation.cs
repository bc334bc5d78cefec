using System.Security.Cryptography;

namespace MediaServer.Codecs.Srtp;

/// <summary>
/// The SRTP key derivation function with the AES-CM PRF (RFC 3711 §4.3.1, §4.3.3) and a key derivation rate of 0,
/// so every session key is derived once, at index 0. Runs when a context is made, never per packet.
/// </summary>
public static class SrtpKeyDerivation
{
    private const int MaxMasterSaltLength = 14;

    /// <summary>
    /// Fills <paramref name="destination"/> with the session key, authentication key or salt named by
    /// <paramref name="label"/>. The master key is 16 bytes (AES-128). The master salt is 14 bytes for AES-CM, or the
    /// 12-byte salt of AEAD_AES_128_GCM, which RFC 7714 §11 (erratum 4938) multiplies by 2^16 — pads with two zero
    /// bytes — to make the PRF's 112-bit salt.
    /// </summary>
    public static void DeriveSessionKey(
        ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> masterSalt, SrtpKeyLabel label, Span<byte> destination)
    {
        if (masterKey.Length != 16)
        {
            throw new ArgumentException("The master key must be 16 bytes (AES-128).", nameof(masterKey));
        }

        if (masterSalt.Length > MaxMasterSaltLength)
        {
            throw new ArgumentException("The master salt must be at most 14 bytes.", nameof(masterSalt));
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThan(destination.Length, AesCounterMode.MaxLength, nameof(destination));

        // RFC 3711 §4.3.1: key_id = label || (index DIV kdr); with kdr = 0 the 48-bit r is zero, so x is the salt
        // with the label XORed into the byte seven from the end of its 14. §4.3.3: the AES-CM input is x * 2^16.
        Span<byte> iv = stackalloc byte[16];
        iv.Clear();
        masterSalt.CopyTo(iv);
        iv[7] ^= (byte)label;

        destination.Clear();
        using var aesCm = new AesCounterMode(masterKey);
        aesCm.TryApply(iv, destination);
        CryptographicOperations.ZeroMemory(iv);
    }
}
