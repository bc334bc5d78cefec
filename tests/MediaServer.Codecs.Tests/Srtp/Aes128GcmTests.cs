using System.Security.Cryptography;
using MediaServer.Codecs.Srtp;
using MediaServer.Codecs.Tests.TestData;

namespace MediaServer.Codecs.Tests.Srtp;

/// <summary>
/// The managed AES-128-GCM against published vectors and against <see cref="AesGcm"/> as an oracle, each through the
/// hardware path and through the fallback to <see cref="AesGcm"/>. Vectors: McGrew and Viega, "The Galois/Counter Mode
/// of Operation (GCM)", Appendix B, Test Cases 1 to 4 (the AES-128 cases with a 96-bit IV); RFC 7714 §16.1.1, the
/// SRTP packet whose IV §16.1.1 lists and whose AAD is the 12-byte RTP header.
/// </summary>
public class Aes128GcmTests
{
    private static readonly Dictionary<string, GcmVector> Vectors = new(StringComparer.Ordinal)
    {
        ["GCM spec test case 1"] = new(
            Key: "00000000000000000000000000000000",
            Nonce: "000000000000000000000000",
            AssociatedData: "",
            Plaintext: "",
            Ciphertext: "",
            Tag: "58e2fccefa7e3061367f1d57a4e7455a"),
        ["GCM spec test case 2"] = new(
            Key: "00000000000000000000000000000000",
            Nonce: "000000000000000000000000",
            AssociatedData: "",
            Plaintext: "00000000000000000000000000000000",
            Ciphertext: "0388dace60b6a392f328c2b971b2fe78",
            Tag: "ab6e47d42cec13bdf53a67b21257bddf"),
        ["GCM spec test case 3"] = new(
            Key: "feffe9928665731c6d6a8f9467308308",
            Nonce: "cafebabefacedbaddecaf888",
            AssociatedData: "",
            Plaintext: "d9313225f88406e5a55909c5aff5269a 86a7a9531534f7da2e4c303d8a318a72"
                + " 1c3c0c95956809532fcf0e2449a6b525 b16aedf5aa0de657ba637b391aafd255",
            Ciphertext: "42831ec2217774244b7221b784d0d49c e3aa212f2c02a4e035c17e2329aca12e"
                + " 21d514b25466931c7d8f6a5aac84aa05 1ba30b396a0aac973d58e091473f5985",
            Tag: "4d5c2af327cd64a62cf35abd2ba6fab4"),
        ["GCM spec test case 4"] = new(
            Key: "feffe9928665731c6d6a8f9467308308",
            Nonce: "cafebabefacedbaddecaf888",
            AssociatedData: "feedfacedeadbeeffeedfacedeadbeef abaddad2",
            Plaintext: "d9313225f88406e5a55909c5aff5269a 86a7a9531534f7da2e4c303d8a318a72"
                + " 1c3c0c95956809532fcf0e2449a6b525 b16aedf5aa0de657ba637b39",
            Ciphertext: "42831ec2217774244b7221b784d0d49c e3aa212f2c02a4e035c17e2329aca12e"
                + " 21d514b25466931c7d8f6a5aac84aa05 1ba30b396a0aac973d58e091",
            Tag: "5bc94fbc3221a5db94fae95ae7121a47"),

        // RFC 7714 §16.1.1: the IV is (0x0000 || SSRC || ROC || SEQ) XOR salt "Quid pro quo" (§8.1); the packet is
        // the header, then the ciphertext and the tag of SrtpVectorTests.Rfc7714Srtp.
        ["RFC 7714 16.1.1"] = new(
            Key: "000102030405060708090a0b0c0d0e0f",
            Nonce: "51753c6580c2726f20718414",
            AssociatedData: "8040f17b 8041f8d3 5501a0b2",
            Plaintext: "47616c6c 69612065 7374206f 6d6e6973 20646976 69736120 696e2070 61727465 73207472 6573",
            Ciphertext: "f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf 8833",
            Tag: "899d 7f27beb1 6a9152cf 765ee439 0cce"),
    };

    public static TheoryData<string, bool> VectorCases
    {
        get
        {
            var data = new TheoryData<string, bool>();
            foreach (string name in Vectors.Keys)
            {
                data.Add(name, false);
                data.Add(name, true);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(VectorCases))]
    public void Published_vector_encrypts_and_decrypts_out_of_place_and_in_place(string name, bool forceFallback)
    {
        GcmVector vector = Vectors[name];
        byte[] nonce = Hex.Parse(vector.Nonce);
        byte[] associatedData = Hex.Parse(vector.AssociatedData);
        byte[] plaintext = Hex.Parse(vector.Plaintext);
        using var gcm = new Aes128Gcm(Hex.Parse(vector.Key), forceFallback);
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[Aes128Gcm.TagSize];

        gcm.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);

        Assert.Equal(Hex.Parse(vector.Ciphertext), ciphertext);
        Assert.Equal(Hex.Parse(vector.Tag), tag);

        byte[] buffer = (byte[])plaintext.Clone();
        var inPlaceTag = new byte[Aes128Gcm.TagSize];
        gcm.Encrypt(nonce, buffer, buffer, inPlaceTag, associatedData);
        Assert.Equal(ciphertext, buffer);
        Assert.Equal(tag, inPlaceTag);

        var decrypted = new byte[ciphertext.Length];
        Assert.True(gcm.TryDecrypt(nonce, ciphertext, tag, decrypted, associatedData));
        Assert.Equal(plaintext, decrypted);

        Assert.True(gcm.TryDecrypt(nonce, buffer, tag, buffer, associatedData));
        Assert.Equal(plaintext, buffer);
    }

    [Fact]
    public void The_hardware_path_is_taken_where_the_instructions_are_present()
    {
        using var gcm = new Aes128Gcm(new byte[16]);

        Assert.Equal(!Aes128Gcm.IsHardwareAccelerated, gcm.UsesFallback);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Agrees_with_AesGcm_on_random_inputs(bool forceFallback)
    {
        var random = new Random(7714);
        int[] boundaries = BlockBoundaryLengths();
        for (int i = 0; i < 2_000; i++)
        {
            // Every length 0..64 first, then every length next to a block boundary, then any length up to 2100.
            int length = i <= 64 ? i : i - 65 < boundaries.Length ? boundaries[i - 65] : random.Next(2_101);
            int associatedLength = i % 5 == 0 ? 0 : random.Next(81);
            AssertAgreesWithAesGcm(random, length, associatedLength, forceFallback, $"case {i}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Agrees_with_AesGcm_on_long_inputs(bool forceFallback)
    {
        var random = new Random(3711);

        AssertAgreesWithAesGcm(random, (64 * 1024) + 7, 1_000, forceFallback, "64 KiB + 7");
        AssertAgreesWithAesGcm(random, 0, 4_099, forceFallback, "AAD only");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Flipping_any_bit_fails_and_leaves_the_plaintext_all_zero(bool forceFallback)
    {
        var random = new Random(38);
        byte[] key = RandomBytes(random, 16);
        byte[] nonce = RandomBytes(random, 12);
        byte[] associatedData = RandomBytes(random, 20);
        byte[] plaintext = RandomBytes(random, 70);
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[16];
        using var gcm = new Aes128Gcm(key, forceFallback);
        gcm.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);

        void AssertRefused(string what, byte[] n, byte[] c, byte[] t, byte[] a)
        {
            byte[] output = Enumerable.Repeat((byte)0xA5, c.Length).ToArray();
            Assert.False(gcm.TryDecrypt(n, c, t, output, a), what);
            Assert.True(output.All(b => b == 0), what);

            byte[] inPlace = (byte[])c.Clone();
            Assert.False(gcm.TryDecrypt(n, inPlace, t, inPlace, a), what + " in place");
            Assert.True(inPlace.All(b => b == 0), what + " in place");
        }

        for (int bit = 0; bit < ciphertext.Length * 8; bit++)
        {
            AssertRefused($"ciphertext bit {bit}", nonce, Flipped(ciphertext, bit), tag, associatedData);
        }

        for (int bit = 0; bit < tag.Length * 8; bit++)
        {
            AssertRefused($"tag bit {bit}", nonce, ciphertext, Flipped(tag, bit), associatedData);
        }

        for (int bit = 0; bit < associatedData.Length * 8; bit++)
        {
            AssertRefused($"AAD bit {bit}", nonce, ciphertext, tag, Flipped(associatedData, bit));
        }

        for (int bit = 0; bit < nonce.Length * 8; bit++)
        {
            AssertRefused($"nonce bit {bit}", Flipped(nonce, bit), ciphertext, tag, associatedData);
        }

        var decrypted = new byte[ciphertext.Length];
        Assert.True(gcm.TryDecrypt(nonce, ciphertext, tag, decrypted, associatedData));
        Assert.Equal(plaintext, decrypted);
    }

    [Fact]
    public void Encrypt_and_TryDecrypt_allocate_nothing_on_the_hardware_path()
    {
        if (!Aes128Gcm.IsHardwareAccelerated)
        {
            return; // The fallback's allocations are AesGcm's.
        }

        var random = new Random(5);
        using var gcm = new Aes128Gcm(RandomBytes(random, 16));
        byte[] nonce = RandomBytes(random, 12);
        byte[] header = RandomBytes(random, 12);
        byte[] payload = RandomBytes(random, 1188);
        var tag = new byte[16];
        var forgedTag = new byte[16];
        var scratch = new byte[payload.Length];

        void Cycle()
        {
            nonce[11]++;
            gcm.Encrypt(nonce, payload, payload, tag, header);
            if (gcm.TryDecrypt(nonce, payload, forgedTag, scratch, header)
                || !gcm.TryDecrypt(nonce, payload, tag, payload, header))
            {
                throw new InvalidOperationException("GCM round trip failed");
            }
        }

        for (int i = 0; i < 2_000; i++)
        {
            Cycle();
        }

        // The runtime itself may allocate once on this thread while it tiers a method up (a CI run saw 3,608 B in one round);
        // an allocation per call would show in every round of 1,000 calls, so the quietest of five rounds must be 0 B.
        long fewest = long.MaxValue;
        for (int round = 0; round < 5 && fewest != 0; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1_000; i++)
            {
                Cycle();
            }
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, fewest);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    [InlineData(17)]
    [InlineData(32)]
    public void A_key_that_is_not_16_bytes_is_refused(int length)
    {
        Assert.Throws<ArgumentException>(() => new Aes128Gcm(new byte[length]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Wrong_sizes_and_partly_overlapping_spans_are_refused(bool forceFallback)
    {
        using var gcm = new Aes128Gcm(new byte[16], forceFallback);
        var buffer = new byte[64];

        Assert.Throws<ArgumentException>(() => gcm.Encrypt(new byte[11], new byte[16], new byte[16], new byte[16], default));
        Assert.Throws<ArgumentException>(() => gcm.Encrypt(new byte[12], new byte[16], new byte[16], new byte[12], default));
        Assert.Throws<ArgumentException>(() => gcm.Encrypt(new byte[12], new byte[16], new byte[17], new byte[16], default));
        Assert.Throws<ArgumentException>(() => gcm.Encrypt(new byte[12], buffer.AsSpan(0, 32), buffer.AsSpan(16, 32), new byte[16], default));
        Assert.Throws<ArgumentException>(() => gcm.TryDecrypt(new byte[13], new byte[16], new byte[16], new byte[16], default));
        Assert.Throws<ArgumentException>(() => gcm.TryDecrypt(new byte[12], new byte[16], new byte[15], new byte[16], default));
        Assert.Throws<ArgumentException>(() => gcm.TryDecrypt(new byte[12], new byte[16], new byte[16], new byte[15], default));
        Assert.Throws<ArgumentException>(() => gcm.TryDecrypt(new byte[12], buffer.AsSpan(1, 32), new byte[16], buffer.AsSpan(0, 32), default));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_disposed_instance_refuses_calls(bool forceFallback)
    {
        var gcm = new Aes128Gcm(new byte[16], forceFallback);
        gcm.Dispose();
        gcm.Dispose();

        Assert.Throws<ObjectDisposedException>(() => gcm.Encrypt(new byte[12], new byte[16], new byte[16], new byte[16], default));
        Assert.Throws<ObjectDisposedException>(() => gcm.TryDecrypt(new byte[12], new byte[16], new byte[16], new byte[16], default));
    }

    private static void AssertAgreesWithAesGcm(Random random, int length, int associatedLength, bool forceFallback, string what)
    {
        byte[] key = RandomBytes(random, 16);
        byte[] nonce = RandomBytes(random, 12);
        byte[] associatedData = RandomBytes(random, associatedLength);
        byte[] plaintext = RandomBytes(random, length);
        var expectedCiphertext = new byte[length];
        var expectedTag = new byte[16];
        using (var oracle = new AesGcm(key, 16))
        {
            oracle.Encrypt(nonce, plaintext, expectedCiphertext, expectedTag, associatedData);
        }

        string context = $"{what}: plaintext {length} B, AAD {associatedLength} B";
        using var gcm = new Aes128Gcm(key, forceFallback);

        var ciphertext = new byte[length];
        var tag = new byte[16];
        gcm.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);
        AssertSameBytes(expectedCiphertext, ciphertext, context + ", ciphertext");
        AssertSameBytes(expectedTag, tag, context + ", tag");

        byte[] buffer = (byte[])plaintext.Clone();
        var inPlaceTag = new byte[16];
        gcm.Encrypt(nonce, buffer, buffer, inPlaceTag, associatedData);
        AssertSameBytes(expectedCiphertext, buffer, context + ", ciphertext in place");
        AssertSameBytes(expectedTag, inPlaceTag, context + ", tag in place");

        var decrypted = new byte[length];
        Assert.True(gcm.TryDecrypt(nonce, ciphertext, tag, decrypted, associatedData), context);
        AssertSameBytes(plaintext, decrypted, context + ", decrypted");

        Assert.True(gcm.TryDecrypt(nonce, buffer, tag, buffer, associatedData), context + " in place");
        AssertSameBytes(plaintext, buffer, context + ", decrypted in place");
    }

    /// <summary>Every length next to a multiple of 16 (one block) from 65 to 2100: n - 1, n and n + 1.</summary>
    private static int[] BlockBoundaryLengths()
    {
        var lengths = new List<int>();
        for (int n = 80; n <= 2_096; n += 16)
        {
            lengths.Add(n - 1);
            lengths.Add(n);
            lengths.Add(n + 1);
        }

        return [.. lengths];
    }

    private static void AssertSameBytes(byte[] expected, byte[] actual, string what) =>
        Assert.Equal($"{what}: {Convert.ToHexString(expected)}", $"{what}: {Convert.ToHexString(actual)}");

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Flipped(byte[] bytes, int bit)
    {
        byte[] copy = (byte[])bytes.Clone();
        copy[bit / 8] ^= (byte)(1 << (bit % 8));
        return copy;
    }

    private sealed record GcmVector(string Key, string Nonce, string AssociatedData, string Plaintext, string Ciphertext, string Tag);
}
