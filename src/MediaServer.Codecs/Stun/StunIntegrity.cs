using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace MediaServer.Codecs.Stun;

/// <summary>
/// The HMACs of MESSAGE-INTEGRITY (RFC 8489 §14.5) and MESSAGE-INTEGRITY-SHA256 (§14.6). Both cover the message up to
/// the attribute, with the header's length field rewritten as if the attribute were the last one — so a received
/// message that carries FINGERPRINT after it must be hashed from a copy with a different length field.
/// </summary>
internal static class StunIntegrity
{
    public const int Sha1Length = 20;
    public const int Sha256Length = 32;

    // Messages an ICE agent sees are a few hundred bytes; the copy lives on the stack up to this size.
    private const int StackCopyLimit = 1024;

    /// <summary>RFC 8489 §14.6: a truncated MESSAGE-INTEGRITY-SHA256 keeps at least 16 bytes, in whole 4-byte words.</summary>
    public static bool IsValidSha256Length(int length) => length is >= 16 and <= Sha256Length && (length & 3) == 0;

    /// <summary>
    /// HMAC over <paramref name="prefix"/> (the message up to the integrity attribute) with the length field set to
    /// <paramref name="lengthField"/>. Writes the whole MAC to <paramref name="mac"/> (20 or 32 bytes).
    /// </summary>
    [SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms",
        Justification = "RFC 8489 §14.5 fixes MESSAGE-INTEGRITY as HMAC-SHA1; ICE peers send nothing else.")]
    public static void Compute(bool sha256, ReadOnlySpan<byte> key, ReadOnlySpan<byte> prefix, int lengthField, Span<byte> mac)
    {
        if (BinaryPrimitives.ReadUInt16BigEndian(prefix[2..]) == lengthField)
        {
            Hash(sha256, key, prefix, mac);
            return;
        }

        byte[]? rented = null;
        Span<byte> copy = prefix.Length <= StackCopyLimit
            ? stackalloc byte[prefix.Length]
            : (rented = ArrayPool<byte>.Shared.Rent(prefix.Length)).AsSpan(0, prefix.Length);
        prefix.CopyTo(copy);
        BinaryPrimitives.WriteUInt16BigEndian(copy[2..], (ushort)lengthField);
        Hash(sha256, key, copy, mac);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    [SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms",
        Justification = "RFC 8489 §14.5 fixes MESSAGE-INTEGRITY as HMAC-SHA1; ICE peers send nothing else.")]
    private static void Hash(bool sha256, ReadOnlySpan<byte> key, ReadOnlySpan<byte> source, Span<byte> mac)
    {
        if (sha256)
        {
            HMACSHA256.HashData(key, source, mac);
        }
        else
        {
            HMACSHA1.HashData(key, source, mac);
        }
    }
}
