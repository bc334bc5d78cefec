using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using AesNi = System.Runtime.Intrinsics.X86.Aes;

namespace MediaServer.Codecs.Srtp;

/// <summary>
/// AES-128-GCM with a 96-bit IV and a 128-bit tag (NIST SP 800-38D), computed in managed code with AES-NI and
/// PCLMULQDQ. <see cref="AesGcm"/> gives the same bytes, but each of its calls goes through OpenSSL's per-call setup,
/// which costs several times the cipher itself on an MTU-sized packet, and its decryption throws on a forged tag;
/// here a call allocates nothing and <see cref="TryDecrypt"/> answers false. Where the instructions are missing
/// (<see cref="IsHardwareAccelerated"/>) every call is handed to <see cref="AesGcm"/> instead.
/// <para>
/// GHASH follows Gueron and Kounavis, "Intel Carry-Less Multiplication Instruction and its Usage for Computing the
/// GCM Mode": blocks are byte-reversed so that PCLMULQDQ multiplies them as polynomials, and the 256-bit product is
/// reduced modulo x^128 + x^7 + x^2 + x + 1 with shifts (see <see cref="Reduce"/>). Four blocks are hashed per reduction
/// with the precomputed powers H, H^2, H^3, H^4, and four counter blocks are encrypted side by side. Encryption hashes
/// each group of ciphertext blocks as it makes them; decryption hashes the whole ciphertext first and decrypts only
/// when the tag matches, so a forged packet costs GHASH alone and never produces plaintext.
/// </para>
/// The instance keeps no state between calls, but like <see cref="AesGcm"/> it is meant for one thread at a time.
/// </summary>
public sealed class Aes128Gcm : IDisposable
{
    public const int KeySize = 16;
    public const int NonceSize = 12;
    public const int TagSize = 16;

    private const int BlockSize = 16;
    private const int Rounds = 10;
    private const int WideBlocks = 4;
    private const int WideSize = WideBlocks * BlockSize;

    private readonly AesGcm? _fallback;
    private RoundKeys _roundKeys;
    private HashKeyPowers _hashKeyPowers;
    private bool _disposed;

    /// <summary>Builds the key schedule and the GHASH key for a 16-byte AES-128 key.</summary>
    public Aes128Gcm(ReadOnlySpan<byte> key)
        : this(key, forceFallback: false)
    {
    }

    /// <summary>As the public constructor; <paramref name="forceFallback"/> makes every call use <see cref="AesGcm"/>, for tests.</summary>
    internal Aes128Gcm(ReadOnlySpan<byte> key, bool forceFallback)
    {
        if (key.Length != KeySize)
        {
            ThrowArgument("An AES-128 key is 16 bytes.", nameof(key));
        }

        if (forceFallback || !IsHardwareAccelerated)
        {
            _fallback = new AesGcm(key, TagSize);
            return;
        }

        ExpandKey(key, _roundKeys);

        // SP 800-38D §7.1 step 1: H = CIPH_K(0^128), byte-reversed like every block that enters GHASH, and kept (with
        // its powers) times x^-1 for Multiply.
        Vector128<ulong> h1 = DivideByX(Reflect(EncryptBlock(Vector128<byte>.Zero, _roundKeys)));
        Vector128<ulong> h2 = Multiply(h1, h1);
        Vector128<ulong> h3 = Multiply(h2, h1);
        Vector128<ulong> h4 = Multiply(h3, h1);
        _hashKeyPowers[0] = h1;
        _hashKeyPowers[1] = h2;
        _hashKeyPowers[2] = h3;
        _hashKeyPowers[3] = h4;
        _hashKeyPowers[4] = FoldHalves(h1);
        _hashKeyPowers[5] = FoldHalves(h2);
        _hashKeyPowers[6] = FoldHalves(h3);
        _hashKeyPowers[7] = FoldHalves(h4);
    }

    /// <summary>True where AES-NI, PCLMULQDQ and SSSE3 are present, so that the managed path is taken.</summary>
    public static bool IsHardwareAccelerated => AesNi.IsSupported && Pclmulqdq.IsSupported && Ssse3.IsSupported;

    /// <summary>True when the calls are handed to <see cref="AesGcm"/>.</summary>
    internal bool UsesFallback => _fallback is not null;

    /// <summary>
    /// SP 800-38D §7.1 GCM-AE: encrypts <paramref name="plaintext"/> into <paramref name="ciphertext"/> (the same length;
    /// the same span for in place, otherwise not overlapping) and writes the 16-byte tag over
    /// <paramref name="associatedData"/> and the ciphertext.
    /// </summary>
    public void Encrypt(
        ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        ValidateArguments(nonce, plaintext, ciphertext, tag, nameof(plaintext), nameof(ciphertext));
        if (_fallback is not null)
        {
            _fallback.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);
            return;
        }

        // Steps 2 to 6: J0; C = GCTR(inc32(J0), P); S = GHASH over A, then C as it is made; T from S.
        Vector128<uint> j0 = InitialCounter(nonce);
        Vector128<ulong> y = GhashUpdate(Vector128<ulong>.Zero, associatedData);
        y = CounterMode(j0 + CounterStep(1), plaintext, ciphertext, y, hashOutput: true);
        FinishTag(j0, y, associatedData.Length, ciphertext.Length).StoreUnsafe(ref MemoryMarshal.GetReference(tag));
    }

    /// <summary>
    /// SP 800-38D §7.2 GCM-AD: checks <paramref name="tag"/> over <paramref name="associatedData"/> and
    /// <paramref name="ciphertext"/> in constant time (step 8), and only when it matches decrypts into <paramref name="plaintext"/> (the same
    /// length; the same span for in place, otherwise not overlapping). On a mismatch answers false and leaves
    /// <paramref name="plaintext"/> all zero, as <see cref="AesGcm.Decrypt(ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte}, ReadOnlySpan{byte})"/>
    /// does; in place that clears the ciphertext.
    /// </summary>
    public bool TryDecrypt(
        ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        ValidateArguments(nonce, ciphertext, plaintext, tag, nameof(ciphertext), nameof(plaintext));
        if (_fallback is not null)
        {
            return TryDecryptWithFallback(_fallback, nonce, ciphertext, tag, plaintext, associatedData);
        }

        // Steps 3 and 5 to 8 before step 4: GHASH reads the whole ciphertext before any plaintext is written, which is
        // what lets the two be one span, and a forged packet costs the hash alone.
        Vector128<uint> j0 = InitialCounter(nonce);
        Vector128<ulong> y = GhashUpdate(Vector128<ulong>.Zero, associatedData);
        y = GhashUpdate(y, ciphertext);
        Span<byte> expected = stackalloc byte[TagSize];
        FinishTag(j0, y, associatedData.Length, ciphertext.Length).StoreUnsafe(ref MemoryMarshal.GetReference(expected));
        bool match = CryptographicOperations.FixedTimeEquals(expected, tag);
        CryptographicOperations.ZeroMemory(expected);
        if (!match)
        {
            plaintext.Clear();
            return false;
        }

        // Step 4: P = GCTR(inc32(J0), C).
        CounterMode(j0 + CounterStep(1), ciphertext, plaintext, Vector128<ulong>.Zero, hashOutput: false);
        return true;
    }

    /// <summary>Zeroes the key schedule and the powers of H, and disposes the fallback.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes((Span<Vector128<byte>>)_roundKeys));
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes((Span<Vector128<ulong>>)_hashKeyPowers));
        _fallback?.Dispose();
    }

    private void ValidateArguments(
        ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> input, ReadOnlySpan<byte> output, ReadOnlySpan<byte> tag, string inputName, string outputName)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (nonce.Length != NonceSize)
        {
            ThrowArgument("The nonce is 12 bytes.", nameof(nonce));
        }

        if (tag.Length != TagSize)
        {
            ThrowArgument("The tag is 16 bytes.", nameof(tag));
        }

        if (output.Length != input.Length)
        {
            ThrowArgument("Plaintext and ciphertext are the same length.", outputName);
        }

        if (input.Overlaps(output, out int elementOffset) && elementOffset != 0)
        {
            ThrowArgument("Plaintext and ciphertext are either the same span or do not overlap.", inputName);
        }
    }

    [DoesNotReturn]
    private static void ThrowArgument(string message, string parameterName) => throw new ArgumentException(message, parameterName);

    private static bool TryDecryptWithFallback(
        AesGcm gcm, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        try
        {
            gcm.Decrypt(nonce, ciphertext, tag, plaintext, associatedData);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            plaintext.Clear();
            return false;
        }
    }

    /// <summary>
    /// FIPS 197 §5.2 key expansion for 128-bit keys: round key i + 1 is round key i with each word XORed into the
    /// words after it, XORed with SubWord(RotWord(last word)) ⊕ Rcon, which AESKEYGENASSIST computes.
    /// </summary>
    private static void ExpandKey(ReadOnlySpan<byte> key, Span<Vector128<byte>> roundKeys)
    {
        Vector128<byte> k = Vector128.Create(key);
        roundKeys[0] = k;
        k = NextRoundKey(k, AesNi.KeygenAssist(k, 0x01));
        roundKeys[1] = k;
        k = NextRoundKey(k, AesNi.KeygenAssist(k, 0x02));
        roundKeys[2] = k;
        k = NextRoundKey(k, AesNi.KeygenAssist(k, 0x04));
        roundKeys[3] = k;
        k = NextRoundKey(k, AesNi.KeygenAssist(k, 0x08));
        roundKeys[4] = k;
        k = NextRoundKey(k, AesNi.KeygenAssist(k, 0x10));
        roundKeys[5] = k;
        k = NextRoundKey(k, AesNi.KeygenAssist(k, 0x20));
        roundKeys[6] = k;
        k = NextRoundKey(k, AesNi.KeygenAssist(k, 0x40));
        roundKeys[7] = k;
        k = NextRoundKey(k, AesNi.KeygenAssist(k, 0x80));
        roundKeys[8] = k;
        k = NextRoundKey(k, AesNi.KeygenAssist(k, 0x1B));
        roundKeys[9] = k;
        k = NextRoundKey(k, AesNi.KeygenAssist(k, 0x36));
        roundKeys[10] = k;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> NextRoundKey(Vector128<byte> key, Vector128<byte> assist)
    {
        // Word 3 of the assist is SubWord(RotWord(w3)) ⊕ Rcon; broadcast it, and fold w0..w2 into the later words.
        Vector128<byte> word = Sse2.Shuffle(assist.AsUInt32(), 0xFF).AsByte();
        key ^= Sse2.ShiftLeftLogical128BitLane(key, 4);
        key ^= Sse2.ShiftLeftLogical128BitLane(key, 4);
        key ^= Sse2.ShiftLeftLogical128BitLane(key, 4);
        return key ^ word;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> EncryptBlock(Vector128<byte> block, ReadOnlySpan<Vector128<byte>> roundKeys)
    {
        block ^= roundKeys[0];
        for (int round = 1; round < Rounds; round++)
        {
            block = AesNi.Encrypt(block, roundKeys[round]);
        }

        return AesNi.EncryptLast(block, roundKeys[Rounds]);
    }

    /// <summary>
    /// SP 800-38D §7.1 step 2, for a 96-bit IV: J0 = IV || 0^31 || 1. Counters are kept with the 32-bit counter word as a
    /// native integer in lane 3 (the IV's words as loaded in lanes 0..2), so that inc32 (§6.2) is a lane addition that
    /// wraps modulo 2^32; <see cref="CounterBlock"/> turns one into the big-endian block.
    /// </summary>
    private static Vector128<uint> InitialCounter(ReadOnlySpan<byte> nonce) =>
        Vector128.Create(
            BinaryPrimitives.ReadUInt32LittleEndian(nonce),
            BinaryPrimitives.ReadUInt32LittleEndian(nonce[4..]),
            BinaryPrimitives.ReadUInt32LittleEndian(nonce[8..]),
            1u);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> CounterStep(uint step) => Vector128.Create(0u, 0u, 0u, step);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> CounterBlock(Vector128<uint> counter) =>
        Ssse3.Shuffle(counter.AsByte(), Vector128.Create((byte)0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15, 14, 13, 12));

    /// <summary>
    /// SP 800-38D §6.5 GCTR from counter block <paramref name="counter"/>: XORs CIPH_K of successive counter blocks into
    /// <paramref name="source"/>, the final block truncated. Each group of blocks is loaded before any of it is stored,
    /// so <paramref name="source"/> and <paramref name="destination"/> may be the same span. With
    /// <paramref name="hashOutput"/> the output is also hashed into <paramref name="y"/> (encryption hashes what it
    /// writes), group by group while the blocks are still in registers, so that the multiplications of one group overlap
    /// the AES rounds of the next; otherwise <paramref name="y"/> comes back as it was.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // Kept whole, so that everything it inlines stays inlined.
    private Vector128<ulong> CounterMode(
        Vector128<uint> counter, ReadOnlySpan<byte> source, Span<byte> destination, Vector128<ulong> y, bool hashOutput)
    {
        ReadOnlySpan<Vector128<byte>> keys = _roundKeys;
        ref byte input = ref MemoryMarshal.GetReference(source);
        ref byte output = ref MemoryMarshal.GetReference(destination);
        int length = source.Length;
        int offset = 0;
        for (; length - offset >= WideSize; offset += WideSize)
        {
            Vector128<byte> first = keys[0];
            Vector128<byte> b0 = CounterBlock(counter) ^ first;
            Vector128<byte> b1 = CounterBlock(counter + CounterStep(1)) ^ first;
            Vector128<byte> b2 = CounterBlock(counter + CounterStep(2)) ^ first;
            Vector128<byte> b3 = CounterBlock(counter + CounterStep(3)) ^ first;
            counter += CounterStep(WideBlocks);
            for (int round = 1; round < Rounds; round++)
            {
                Vector128<byte> roundKey = keys[round];
                b0 = AesNi.Encrypt(b0, roundKey);
                b1 = AesNi.Encrypt(b1, roundKey);
                b2 = AesNi.Encrypt(b2, roundKey);
                b3 = AesNi.Encrypt(b3, roundKey);
            }

            Vector128<byte> last = keys[Rounds];
            b0 = AesNi.EncryptLast(b0, last) ^ Vector128.LoadUnsafe(ref input, (nuint)offset);
            b1 = AesNi.EncryptLast(b1, last) ^ Vector128.LoadUnsafe(ref input, (nuint)(offset + BlockSize));
            b2 = AesNi.EncryptLast(b2, last) ^ Vector128.LoadUnsafe(ref input, (nuint)(offset + (2 * BlockSize)));
            b3 = AesNi.EncryptLast(b3, last) ^ Vector128.LoadUnsafe(ref input, (nuint)(offset + (3 * BlockSize)));
            b0.StoreUnsafe(ref output, (nuint)offset);
            b1.StoreUnsafe(ref output, (nuint)(offset + BlockSize));
            b2.StoreUnsafe(ref output, (nuint)(offset + (2 * BlockSize)));
            b3.StoreUnsafe(ref output, (nuint)(offset + (3 * BlockSize)));
            if (hashOutput)
            {
                y = GhashFour(y, b0, b1, b2, b3);
            }
        }

        int rest = offset;
        for (; length - offset >= BlockSize; offset += BlockSize)
        {
            Vector128<byte> block = EncryptBlock(CounterBlock(counter), keys) ^ Vector128.LoadUnsafe(ref input, (nuint)offset);
            block.StoreUnsafe(ref output, (nuint)offset);
            counter += CounterStep(1);
        }

        if (offset < length)
        {
            int tail = length - offset;
            Span<byte> partial = stackalloc byte[BlockSize];
            source.Slice(offset, tail).CopyTo(partial);
            ref byte scratch = ref MemoryMarshal.GetReference(partial);
            (EncryptBlock(CounterBlock(counter), keys) ^ Vector128.LoadUnsafe(ref scratch)).StoreUnsafe(ref scratch);
            partial[..tail].CopyTo(destination[offset..]);
            CryptographicOperations.ZeroMemory(partial);
        }

        return hashOutput ? GhashUpdate(y, destination[rest..]) : y;
    }

    /// <summary>
    /// SP 800-38D §6.4 GHASH over <paramref name="data"/> zero-padded to whole blocks, continuing from
    /// <paramref name="y"/>: Y_i = (Y_(i-1) ⊕ X_i) • H.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // Kept whole, so that everything it inlines stays inlined.
    private Vector128<ulong> GhashUpdate(Vector128<ulong> y, ReadOnlySpan<byte> data)
    {
        Vector128<ulong> h1 = _hashKeyPowers[0];
        ref byte input = ref MemoryMarshal.GetReference(data);
        int length = data.Length;
        int offset = 0;
        for (; length - offset >= WideSize; offset += WideSize)
        {
            y = GhashFour(
                y,
                Vector128.LoadUnsafe(ref input, (nuint)offset),
                Vector128.LoadUnsafe(ref input, (nuint)(offset + BlockSize)),
                Vector128.LoadUnsafe(ref input, (nuint)(offset + (2 * BlockSize))),
                Vector128.LoadUnsafe(ref input, (nuint)(offset + (3 * BlockSize))));
        }

        for (; length - offset >= BlockSize; offset += BlockSize)
        {
            y = Multiply(Reflect(Vector128.LoadUnsafe(ref input, (nuint)offset)) ^ y, h1);
        }

        if (offset < length)
        {
            Span<byte> partial = stackalloc byte[BlockSize];
            data[offset..].CopyTo(partial);
            y = Multiply(Reflect(Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(partial))) ^ y, h1);
        }

        return y;
    }

    /// <summary>
    /// Four steps of GHASH (§6.4) with one reduction: ((Y ⊕ X_1) • H^4) ⊕ (X_2 • H^3) ⊕ (X_3 • H^2) ⊕ (X_4 • H), each
    /// product made Karatsuba's way from three 64-bit multiplications (low halves, high halves, folded halves).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector128<ulong> GhashFour(Vector128<ulong> y, Vector128<byte> b0, Vector128<byte> b1, Vector128<byte> b2, Vector128<byte> b3)
    {
        ReadOnlySpan<Vector128<ulong>> powers = _hashKeyPowers;
        Vector128<ulong> x0 = Reflect(b0) ^ y;
        Vector128<ulong> x1 = Reflect(b1);
        Vector128<ulong> x2 = Reflect(b2);
        Vector128<ulong> x3 = Reflect(b3);

        // The block that carries Y is added last: it alone waits for the previous reduction.
        Vector128<ulong> low = Pclmulqdq.CarrylessMultiply(x3, powers[0], 0x00)
            ^ Pclmulqdq.CarrylessMultiply(x2, powers[1], 0x00)
            ^ Pclmulqdq.CarrylessMultiply(x1, powers[2], 0x00)
            ^ Pclmulqdq.CarrylessMultiply(x0, powers[3], 0x00);
        Vector128<ulong> high = Pclmulqdq.CarrylessMultiply(x3, powers[0], 0x11)
            ^ Pclmulqdq.CarrylessMultiply(x2, powers[1], 0x11)
            ^ Pclmulqdq.CarrylessMultiply(x1, powers[2], 0x11)
            ^ Pclmulqdq.CarrylessMultiply(x0, powers[3], 0x11);
        Vector128<ulong> folded = Pclmulqdq.CarrylessMultiply(FoldHalves(x3), powers[4], 0x00)
            ^ Pclmulqdq.CarrylessMultiply(FoldHalves(x2), powers[5], 0x00)
            ^ Pclmulqdq.CarrylessMultiply(FoldHalves(x1), powers[6], 0x00)
            ^ Pclmulqdq.CarrylessMultiply(FoldHalves(x0), powers[7], 0x00);
        return Reduce(low, folded ^ low ^ high, high);
    }

    /// <summary>Karatsuba's middle operand: the high 64 bits XORed into the low 64 bits (the high lane is left over).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> FoldHalves(Vector128<ulong> x) => x ^ Sse2.UnpackHigh(x, x);

    /// <summary>
    /// SP 800-38D §7.1 steps 5 and 6 (§7.2 steps 6 and 7): hashes the block [len(A)]64 || [len(C)]64 (lengths in bits)
    /// and returns T = GCTR_K(J0, S), that is CIPH_K(J0) ⊕ S, for a full 128-bit tag.
    /// </summary>
    private Vector128<byte> FinishTag(Vector128<uint> j0, Vector128<ulong> y, int associatedLength, int textLength)
    {
        // Byte-reversed, the big-endian len(A) || len(C) block is len(C) in the low lane and len(A) in the high lane.
        Vector128<ulong> lengths = Vector128.Create((ulong)textLength * 8, (ulong)associatedLength * 8);
        Vector128<ulong> s = Multiply(y ^ lengths, _hashKeyPowers[0]);
        return EncryptBlock(CounterBlock(j0), _roundKeys) ^ Ssse3.Shuffle(s.AsByte(), ByteReverseMask);
    }

    private static Vector128<byte> ByteReverseMask =>
        Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);

    /// <summary>
    /// A block as GHASH's field element for PCLMULQDQ: its bytes reversed, so that read as a 128-bit integer bit 127 is
    /// the coefficient of x^0 (the block's first bit, §6.3) and bit 0 that of x^127.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Reflect(Vector128<byte> block) => Ssse3.Shuffle(block, ByteReverseMask).AsUInt64();

    /// <summary>
    /// X • x^-1 for a reflected element: a one-bit left shift of the 128-bit integer divides by x, and a coefficient
    /// of x^0 shifted out comes back as x^-1 = x^127 + x^6 + x + 1 (since x · x^-1 = x^128 + x^7 + x^2 + x ≡ 1), which
    /// reflected is 0xC2000000_00000000_00000000_00000001. Without branching on the key.
    /// </summary>
    private static Vector128<ulong> DivideByX(Vector128<ulong> x)
    {
        Vector128<ulong> carries = Sse2.ShiftRightLogical(x, 63);
        Vector128<ulong> shifted = Sse2.ShiftLeftLogical(x, 1) | Sse2.ShiftLeftLogical128BitLane(carries, 8);
        Vector128<ulong> overflow = Vector128.Create(0UL - carries.GetElement(1));
        return shifted ^ (Vector128.Create(1UL, 0xC200_0000_0000_0000UL) & overflow);
    }

    /// <summary>
    /// SP 800-38D §6.3 multiplication for one block: X • H where <paramref name="key"/> holds H • x^-1 (the stored powers
    /// of H are all kept so), both reflected.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Multiply(Vector128<ulong> x, Vector128<ulong> key) =>
        Reduce(
            Pclmulqdq.CarrylessMultiply(x, key, 0x00),
            Pclmulqdq.CarrylessMultiply(x, key, 0x01) ^ Pclmulqdq.CarrylessMultiply(x, key, 0x10),
            Pclmulqdq.CarrylessMultiply(x, key, 0x11));

    /// <summary>
    /// Reduces the 256-bit carry-less product low ⊕ (middle &lt;&lt; 64) ⊕ (high &lt;&lt; 128) of two reflected elements modulo
    /// x^128 + x^7 + x^2 + x + 1, in the two phases of Gueron and Kounavis (Algorithm 5). Carry-less multiplication of
    /// reflected operands leaves the product one bit short of the reflected layout, that is, multiplied by x; the
    /// algorithm's one-bit left shift undoes that, and here the factor x^-1 held in the key does instead (the same
    /// trick as the Intel paper's "H &lt;&lt; 1 mod P"), so X • (H • x^-1) reduces to X • H with no shift.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Reduce(Vector128<ulong> low, Vector128<ulong> middle, Vector128<ulong> high)
    {
        Vector128<uint> lo = (low ^ Sse2.ShiftLeftLogical128BitLane(middle, 8)).AsUInt32();
        Vector128<uint> hi = (high ^ Sse2.ShiftRightLogical128BitLane(middle, 8)).AsUInt32();

        // First phase: the polynomial's x^7 + x^2 + x applied to the low half; with the bits reflected these are the
        // shifts by 32 - 7, 32 - 2 and 32 - 1 within each lane, whose spill crosses into the next lane up.
        Vector128<uint> folded = Sse2.ShiftLeftLogical(lo, 31) ^ Sse2.ShiftLeftLogical(lo, 30) ^ Sse2.ShiftLeftLogical(lo, 25);
        Vector128<uint> spill = Sse2.ShiftRightLogical128BitLane(folded, 4);
        lo ^= Sse2.ShiftLeftLogical128BitLane(folded, 12);

        // Second phase: the same terms as right shifts, folding the low half into the high one.
        Vector128<uint> reduced = Sse2.ShiftRightLogical(lo, 1) ^ Sse2.ShiftRightLogical(lo, 2) ^ Sse2.ShiftRightLogical(lo, 7) ^ spill;
        return (hi ^ lo ^ reduced).AsUInt64();
    }

    [InlineArray(Rounds + 1)]
    private struct RoundKeys
    {
        private Vector128<byte> _element;
    }

    /// <summary>H, H^2, H^3, H^4, each reflected and times x^-1, then each with its halves folded (<see cref="FoldHalves"/>).</summary>
    [InlineArray(2 * WideBlocks)]
    private struct HashKeyPowers
    {
        private Vector128<ulong> _element;
    }
}
