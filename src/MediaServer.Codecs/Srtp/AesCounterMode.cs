using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace MediaServer.Codecs.Srtp;

/// <summary>
/// AES in counter mode (RFC 3711 §4.1.1), the keystream made by encrypting counter blocks with AES-ECB. .NET has no
/// CTR mode; <c>Aes.EncryptEcb</c> would do but allocates on every call (it clones the key and builds a one-shot
/// cipher), so a reusable ECB <see cref="ICryptoTransform"/> and two scratch arrays are kept instead: 0 B per packet.
/// Not thread-safe: one instance belongs to one context, used by one thread at a time.
/// </summary>
internal sealed class AesCounterMode : IDisposable
{
    /// <summary>RFC 3711 §4.1.1: the block counter is 16 bits, so one IV covers at most 2^16 blocks of keystream.</summary>
    public const int MaxLength = 16 << 16;

    private const int BlockSize = 16;

    // 128 blocks = 2 KiB covers an MTU-sized payload with one call into the cipher.
    private const int ChunkBlocks = 128;

    private readonly Aes _aes;
    private readonly ICryptoTransform _ecb;
    private readonly byte[] _counters = new byte[ChunkBlocks * BlockSize];
    private readonly byte[] _keystream = new byte[ChunkBlocks * BlockSize];

    public AesCounterMode(ReadOnlySpan<byte> key)
    {
        byte[] keyCopy = key.ToArray();
        try
        {
            _aes = Aes.Create();
            _aes.Key = keyCopy;
            _aes.Mode = CipherMode.ECB;
            _aes.Padding = PaddingMode.None;
            _ecb = _aes.CreateEncryptor();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(keyCopy);
        }
    }

    /// <summary>
    /// XORs the keystream that starts at counter block <paramref name="iv"/> (16 bytes) into <paramref name="data"/>;
    /// false, touching nothing, when <paramref name="data"/> is longer than one IV may cover.
    /// </summary>
    public bool TryApply(ReadOnlySpan<byte> iv, Span<byte> data)
    {
        if (data.Length > MaxLength)
        {
            return false;
        }

        ulong high = BinaryPrimitives.ReadUInt64BigEndian(iv);
        ulong low = BinaryPrimitives.ReadUInt64BigEndian(iv[8..]);
        int offset = 0;
        while (offset < data.Length)
        {
            int remaining = data.Length - offset;
            int blocks = Math.Min(ChunkBlocks, (remaining + BlockSize - 1) / BlockSize);
            Span<byte> counters = _counters.AsSpan(0, blocks * BlockSize);
            for (int i = 0; i < blocks; i++)
            {
                // Counter = IV + i as a 128-bit big-endian integer; SRTP's IVs have 16 zero low bits, so the carry
                // never leaves the low word there, but the KDF and tests may hand in any IV.
                ulong counterLow = low + (ulong)i;
                ulong counterHigh = counterLow < low ? high + 1 : high;
                BinaryPrimitives.WriteUInt64BigEndian(counters[(i * BlockSize)..], counterHigh);
                BinaryPrimitives.WriteUInt64BigEndian(counters[((i * BlockSize) + 8)..], counterLow);
            }

            _ecb.TransformBlock(_counters, 0, blocks * BlockSize, _keystream, 0);
            int chunk = Math.Min(remaining, blocks * BlockSize);
            Xor(data.Slice(offset, chunk), _keystream.AsSpan(0, chunk));
            offset += chunk;
            ulong nextLow = low + (ulong)blocks;
            high = nextLow < low ? high + 1 : high;
            low = nextLow;
        }

        return true;
    }

    public void Dispose()
    {
        _ecb.Dispose();
        _aes.Dispose();
        CryptographicOperations.ZeroMemory(_keystream);
    }

    private static void Xor(Span<byte> data, ReadOnlySpan<byte> keystream)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= data.Length - Vector<byte>.Count; i += Vector<byte>.Count)
            {
                var v = new Vector<byte>(data[i..]) ^ new Vector<byte>(keystream[i..]);
                v.CopyTo(data[i..]);
            }
        }

        for (; i < data.Length; i++)
        {
            data[i] ^= keystream[i];
        }
    }
}
