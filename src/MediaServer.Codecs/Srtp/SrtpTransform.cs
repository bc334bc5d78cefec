using System.Security.Cryptography;

namespace MediaServer.Codecs.Srtp;

/// <summary>
/// One set of session keys and the cipher objects built from them: a context holds one for SRTP and one for SRTCP,
/// whose keys differ by label (RFC 3711 §4.3.2). The objects are made once so that packets allocate nothing.
/// </summary>
internal sealed class SrtpTransform : IDisposable
{
    public const int AesCmIvLength = 16;
    public const int GcmNonceLength = 12;
    public const int HmacSha1Length = 20;

    private readonly byte[] _salt;
    private readonly AesCounterMode? _aesCm;
    private readonly IncrementalHash? _hmac;
    private readonly Aes128Gcm? _gcm;

    public SrtpTransform(SrtpProfile profile, ReadOnlySpan<byte> encryptionKey, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> authKey)
    {
        Profile = profile;
        TagLength = profile.AuthTagLength();
        _salt = salt.ToArray();
        if (profile == SrtpProfile.AeadAes128Gcm)
        {
            _gcm = new Aes128Gcm(encryptionKey);
        }
        else
        {
            _aesCm = new AesCounterMode(encryptionKey);
            _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, authKey);
        }
    }

    public SrtpProfile Profile { get; }

    public bool IsAead => _gcm is not null;

    public int TagLength { get; }

    public Aes128Gcm Gcm => _gcm ?? throw new InvalidOperationException("Not an AEAD transform.");

    /// <summary>
    /// RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16). In bytes: the 14-byte salt, the SSRC
    /// XORed over bytes 4..7, the 48-bit index over bytes 8..13, and two zero bytes for the block counter. For SRTCP
    /// the index is the 31-bit SRTCP index (§4.1).
    /// </summary>
    public void BuildAesCmIv(Span<byte> iv, uint ssrc, ulong index)
    {
        _salt.CopyTo(iv);
        iv[14] = 0;
        iv[15] = 0;
        XorBigEndian32(iv[4..], ssrc);
        XorBigEndian48(iv[8..], index);
    }

    /// <summary>
    /// RFC 7714 §8.1 (SRTP): IV = (0x0000 || SSRC || ROC || SEQ) XOR salt, that is, the SSRC over bytes 2..5 and the
    /// 48-bit index over bytes 6..11. §9.1 (SRTCP): (0x0000 || SSRC || 0x0000 || 0 || SRTCP index) XOR salt, which is
    /// the same layout with the 31-bit index as a 48-bit value.
    /// </summary>
    public void BuildGcmNonce(Span<byte> nonce, uint ssrc, ulong index)
    {
        _salt.CopyTo(nonce);
        XorBigEndian32(nonce[2..], ssrc);
        XorBigEndian48(nonce[6..], index);
    }

    /// <summary>Encrypts or decrypts (the same operation) <paramref name="data"/> in place with AES-CM.</summary>
    public bool TryApplyAesCm(uint ssrc, ulong index, Span<byte> data)
    {
        Span<byte> iv = stackalloc byte[AesCmIvLength];
        BuildAesCmIv(iv, ssrc, index);
        return _aesCm!.TryApply(iv, data);
    }

    /// <summary>
    /// HMAC-SHA1 over <paramref name="authenticated"/> followed by <paramref name="suffix"/> (the ROC for SRTP, RFC 3711
    /// §4.2; nothing for SRTCP, whose E|index is already inside the authenticated portion), full 20 bytes.
    /// </summary>
    public void ComputeHmac(ReadOnlySpan<byte> authenticated, ReadOnlySpan<byte> suffix, Span<byte> hmac)
    {
        _hmac!.AppendData(authenticated);
        if (!suffix.IsEmpty)
        {
            _hmac.AppendData(suffix);
        }

        _hmac.TryGetHashAndReset(hmac, out _);
    }

    public void Dispose()
    {
        _aesCm?.Dispose();
        _hmac?.Dispose();
        _gcm?.Dispose();
        CryptographicOperations.ZeroMemory(_salt);
    }

    private static void XorBigEndian32(Span<byte> destination, uint value)
    {
        destination[0] ^= (byte)(value >> 24);
        destination[1] ^= (byte)(value >> 16);
        destination[2] ^= (byte)(value >> 8);
        destination[3] ^= (byte)value;
    }

    private static void XorBigEndian48(Span<byte> destination, ulong value)
    {
        destination[0] ^= (byte)(value >> 40);
        destination[1] ^= (byte)(value >> 32);
        XorBigEndian32(destination[2..], (uint)value);
    }
}
