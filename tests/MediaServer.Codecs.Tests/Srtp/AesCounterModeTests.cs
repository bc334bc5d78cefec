using MediaServer.Codecs.Srtp;
using MediaServer.Codecs.Tests.TestData;

namespace MediaServer.Codecs.Tests.Srtp;

/// <summary>RFC 3711 Appendix B.2: the AES-CM keystream for session key 2B7E…, ROC 0, SEQ 0, SSRC 0.</summary>
public class AesCounterModeTests
{
    private static readonly byte[] SessionKey = Hex.Parse("2B7E151628AED2A6ABF7158809CF4F3C");

    // B.2 gives the salt already shifted: F0F1…FCFD followed by the two zero counter bytes.
    private static readonly byte[] Offset = Hex.Parse("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000");

    [Fact]
    public void Keystream_segment_matches_RFC_3711_B_2_at_both_ends()
    {
        // The whole segment of B.2: 65282 blocks, so the counter runs FD0000 … FDFF01 and its low bytes wrap.
        var keystream = new byte[65282 * 16];
        using var aesCm = new AesCounterMode(SessionKey);

        Assert.True(aesCm.TryApply(Offset, keystream));

        Assert.Equal("E03EAD0935C95E80E166B16DD92B4EB4", Block(keystream, 0x0000));
        Assert.Equal("D23513162B02D0F72A43A2FE4A5F97AB", Block(keystream, 0x0001));
        Assert.Equal("41E95B3BB0A2E8DD477901E4FCA894C0", Block(keystream, 0x0002));
        Assert.Equal("EC8CDF7398607CB0F2D21675EA9EA1E4", Block(keystream, 0xFEFF));
        Assert.Equal("362B7C3C6773516318A077D7FC5073AE", Block(keystream, 0xFF00));
        Assert.Equal("6A2CC3787889374FBEB4C81B17BA6C44", Block(keystream, 0xFF01));
    }

    [Fact]
    public void The_context_builds_the_B_2_counter_from_salt_SSRC_and_index()
    {
        using var transform = new SrtpTransform(
            SrtpProfile.AesCm128HmacSha1_80, SessionKey, Hex.Parse("F0F1F2F3F4F5F6F7F8F9FAFBFCFD"), new byte[20]);
        var iv = new byte[16];

        transform.BuildAesCmIv(iv, ssrc: 0, index: 0);

        Assert.Equal(Offset, iv);
    }

    [Fact]
    public void SSRC_lands_on_bytes_4_to_7_and_the_index_on_bytes_8_to_13()
    {
        // RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16).
        using var transform = new SrtpTransform(SrtpProfile.AesCm128HmacSha1_80, SessionKey, new byte[14], new byte[20]);
        var iv = new byte[16];

        transform.BuildAesCmIv(iv, ssrc: 0x01020304, index: 0x0000_5566_7788);

        Assert.Equal("00000000010203040000556677880000", Convert.ToHexString(iv));
    }

    [Fact]
    public void Keystream_is_the_same_whether_made_in_one_call_or_in_pieces_that_cross_a_chunk()
    {
        var whole = new byte[5000];
        var data = new byte[5000];
        new Random(7).NextBytes(data);
        data.CopyTo(whole, 0);
        using var aesCm = new AesCounterMode(SessionKey);

        aesCm.TryApply(Offset, whole);
        byte[] secondIv = Hex.Parse("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0100"); // 256 blocks = 4096 bytes further on
        aesCm.TryApply(Offset, data.AsSpan(0, 4096));
        aesCm.TryApply(secondIv, data.AsSpan(4096));

        Assert.Equal(whole, data);
    }

    [Fact]
    public void More_than_2_to_the_16_blocks_under_one_IV_are_refused()
    {
        var data = new byte[AesCounterMode.MaxLength + 1];
        using var aesCm = new AesCounterMode(SessionKey);

        Assert.False(aesCm.TryApply(Offset, data));
        Assert.All(data, b => Assert.Equal(0, b));
    }

    private static string Block(byte[] keystream, int block) => Convert.ToHexString(keystream, block * 16, 16);
}
