using MediaServer.Codecs.Srtp;
using MediaServer.Codecs.Tests.TestData;

namespace MediaServer.Codecs.Tests.Srtp;

/// <summary>
/// Whole packets from published vectors. RFC 7714 §16 (SRTP) and §17 (SRTCP) state the GCM session key and salt
/// directly; the libsrtp reference packets (test/srtp_driver.c, also used by other implementations' validation suites)
/// start from master keys, so they pin the KDF, the SRTCP labels and the 12-byte GCM salt handling as well.
/// </summary>
public class SrtpVectorTests
{
    // RFC 7714 §16: key 00 01 … 0f, salt "Quid pro quo".
    private static readonly byte[] GcmKey = Hex.Parse("000102030405060708090a0b0c0d0e0f");
    private static readonly byte[] GcmSalt = Hex.Parse("517569642070726f2071756f");

    // RFC 7714 §16: header 8040f17b 8041f8d3 5501a0b2 and payload "Gallia est omnis divisa in partes tres".
    private static readonly byte[] Rfc7714Rtp = Hex.Parse(
        "8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976 69736120 696e2070 61727465 73207472 6573");

    // RFC 7714 §16.1.1, "Encrypted and tagged packet".
    private static readonly byte[] Rfc7714Srtp = Hex.Parse(
        "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf"
        + " 8833899d 7f27beb1 6a9152cf 765ee439 0cce");

    // RFC 7714 §17: the RTCP packet of the §17.x vectors (SSRC "Mars", SRTCP index 0x5d4).
    private static readonly byte[] Rfc7714Rtcp = Hex.Parse(
        "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef");

    // RFC 7714 §17.1: encrypted, tag, then E=1 | index 0x5d4.
    private static readonly byte[] Rfc7714Srtcp = Hex.Parse(
        "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d c676a5f1 730d6fda 4ce09b46 86303ded"
        + " 0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade 800005d4");

    // RFC 7714 §17.3: the same packet tagged but not encrypted, E=0.
    private static readonly byte[] Rfc7714SrtcpTagOnly = Hex.Parse(
        "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef"
        + " 841dd968 3dd78ec9 2ae58790 125f62b3 000005d4");

    // libsrtp srtp_driver.c reference packets: SSRC cafebabe, seq 0x1234, a payload of 0xab.
    private static readonly byte[] LibsrtpRtp = Hex.Parse("800f1234decafbad cafebabe abababababababababababababababab");
    private static readonly byte[] LibsrtpRtcp = Hex.Parse("81c8000bcafebabe abababababababababababababababab");

    private static SrtpContext Rfc7714Context() =>
        SrtpContext.FromSessionKeys(SrtpProfile.AeadAes128Gcm, GcmKey, GcmSalt, ReadOnlySpan<byte>.Empty);

    [Fact]
    public void RFC_7714_section_16_RTP_IV_is_formed_from_SSRC_ROC_and_SEQ()
    {
        using var transform = new SrtpTransform(SrtpProfile.AeadAes128Gcm, GcmKey, GcmSalt, ReadOnlySpan<byte>.Empty);
        var nonce = new byte[12];

        transform.BuildGcmNonce(nonce, ssrc: 0x5501a0b2, index: 0xf17b);

        Assert.Equal("51753C6580C2726F20718414", Convert.ToHexString(nonce));
    }

    [Fact]
    public void RFC_7714_section_17_RTCP_IV_is_formed_from_SSRC_and_SRTCP_index()
    {
        using var transform = new SrtpTransform(SrtpProfile.AeadAes128Gcm, GcmKey, GcmSalt, ReadOnlySpan<byte>.Empty);
        var nonce = new byte[12];

        transform.BuildGcmNonce(nonce, ssrc: 0x4d617273, index: 0x5d4);

        Assert.Equal("517524055203726F207170BB", Convert.ToHexString(nonce));
    }

    [Fact]
    public void RFC_7714_16_1_1_SRTP_AEAD_AES_128_GCM_encryption()
    {
        using var context = Rfc7714Context();
        byte[] buffer = WithRoom(Rfc7714Rtp, 16);

        Assert.True(context.TryProtectRtp(buffer, Rfc7714Rtp.Length, out int length));

        Assert.Equal(Convert.ToHexString(Rfc7714Srtp), Convert.ToHexString(buffer, 0, length));
    }

    [Fact]
    public void RFC_7714_16_1_2_SRTP_AEAD_AES_128_GCM_decryption()
    {
        using var context = Rfc7714Context();
        byte[] buffer = (byte[])Rfc7714Srtp.Clone();

        Assert.Equal(SrtpResult.Ok, context.TryUnprotectRtp(buffer, buffer.Length, out int length));

        Assert.Equal(Convert.ToHexString(Rfc7714Rtp), Convert.ToHexString(buffer, 0, length));
    }

    [Fact]
    public void RFC_7714_17_1_SRTCP_AEAD_AES_128_GCM_encryption()
    {
        using var context = Rfc7714Context();
        context.SetNextSrtcpIndex(0x4d617273, 0x5d4);
        byte[] buffer = WithRoom(Rfc7714Rtcp, 20);

        Assert.True(context.TryProtectRtcp(buffer, Rfc7714Rtcp.Length, out int length));

        Assert.Equal(Convert.ToHexString(Rfc7714Srtcp), Convert.ToHexString(buffer, 0, length));
    }

    [Fact]
    public void RFC_7714_17_1_SRTCP_AEAD_AES_128_GCM_decryption()
    {
        using var context = Rfc7714Context();
        byte[] buffer = (byte[])Rfc7714Srtcp.Clone();

        Assert.Equal(SrtpResult.Ok, context.TryUnprotectRtcp(buffer, buffer.Length, out int length));

        Assert.Equal(Convert.ToHexString(Rfc7714Rtcp), Convert.ToHexString(buffer, 0, length));
    }

    [Fact]
    public void RFC_7714_17_3_SRTCP_tagged_but_not_encrypted_verifies()
    {
        using var context = Rfc7714Context();
        byte[] buffer = (byte[])Rfc7714SrtcpTagOnly.Clone();

        Assert.Equal(SrtpResult.Ok, context.TryUnprotectRtcp(buffer, buffer.Length, out int length));

        Assert.Equal(Convert.ToHexString(Rfc7714Rtcp), Convert.ToHexString(buffer, 0, length));
    }

    [Fact]
    public void RFC_7714_17_3_with_one_body_byte_changed_fails_and_leaves_the_tag_in_place()
    {
        using var context = Rfc7714Context();
        byte[] buffer = (byte[])Rfc7714SrtcpTagOnly.Clone();
        buffer[20] ^= 0x01;
        byte[] before = (byte[])buffer.Clone();

        Assert.Equal(SrtpResult.AuthFailed, context.TryUnprotectRtcp(buffer, buffer.Length, out _));

        Assert.Equal(before, buffer);
        Assert.Equal(SrtpResult.Ok, context.TryUnprotectRtcp((byte[])Rfc7714SrtcpTagOnly.Clone(), Rfc7714SrtcpTagOnly.Length, out _));
    }

    [Fact]
    public void Libsrtp_reference_packets_for_AES_CM_128_HMAC_SHA1_80()
    {
        // srtp_validate(): master key e1f97a0d…, master salt 0ec675ad… (the RFC 3711 B.3 inputs).
        byte[] masterKey = Hex.Parse("e1f97a0d3e018be0d64fa32c06de4139");
        byte[] masterSalt = Hex.Parse("0ec675ad498afeebb6960b3aabe6");
        string srtp = "800F1234DECAFBADCAFEBABE4E55DC4CE79978D88CA4D215949D2402B78D6ACC99EA179B8DBB";
        string srtcp = "81C8000BCAFEBABE7128035BE487B9BDBEF89041F977A5A880000001993E08CD54D6C1230798";

        AssertReferencePackets(SrtpProfile.AesCm128HmacSha1_80, masterKey, masterSalt, srtp, srtcp);
    }

    [Fact]
    public void Libsrtp_reference_packets_for_AEAD_AES_128_GCM()
    {
        // srtp_validate_gcm(): master key 00 01 … 0f, 12-byte master salt a0 a1 … ab.
        byte[] masterKey = Hex.Parse("000102030405060708090a0b0c0d0e0f");
        byte[] masterSalt = Hex.Parse("a0a1a2a3a4a5a6a7a8a9aaab");
        string srtp = "800F1234DECAFBADCAFEBABEC5002EDE04CFDD2EB91159E0880AA06ED2976826F796B201DF3131A127E8A392";
        string srtcp = "81C8000BCAFEBABEC98B8B5DF0392A55852B6C21AC8E7025C52C6FBEA2B3B446EA31123BA88CE61E80000001";

        AssertReferencePackets(SrtpProfile.AeadAes128Gcm, masterKey, masterSalt, srtp, srtcp);
    }

    private static void AssertReferencePackets(SrtpProfile profile, byte[] masterKey, byte[] masterSalt, string srtp, string srtcp)
    {
        using var sender = new SrtpContext(profile, masterKey, masterSalt);
        using var receiver = new SrtpContext(profile, masterKey, masterSalt);

        byte[] rtp = WithRoom(LibsrtpRtp, sender.RtpOverhead);
        Assert.True(sender.TryProtectRtp(rtp, LibsrtpRtp.Length, out int rtpLength));
        Assert.Equal(srtp, Convert.ToHexString(rtp, 0, rtpLength));
        Assert.Equal(SrtpResult.Ok, receiver.TryUnprotectRtp(rtp, rtpLength, out int plainRtp));
        Assert.Equal(LibsrtpRtp, rtp[..plainRtp]);

        // The reference SRTCP packet carries index 1: ours start at 0 (RFC 3711 §3.4), so it is the second one sent.
        byte[] rtcp = WithRoom(LibsrtpRtcp, sender.RtcpOverhead);
        Assert.True(sender.TryProtectRtcp(rtcp, LibsrtpRtcp.Length, out _));
        rtcp = WithRoom(LibsrtpRtcp, sender.RtcpOverhead);
        Assert.True(sender.TryProtectRtcp(rtcp, LibsrtpRtcp.Length, out int rtcpLength));
        Assert.Equal(srtcp, Convert.ToHexString(rtcp, 0, rtcpLength));
        Assert.Equal(SrtpResult.Ok, receiver.TryUnprotectRtcp(rtcp, rtcpLength, out int plainRtcp));
        Assert.Equal(LibsrtpRtcp, rtcp[..plainRtcp]);
    }

    private static byte[] WithRoom(byte[] packet, int room)
    {
        var buffer = new byte[packet.Length + room];
        packet.CopyTo(buffer, 0);
        return buffer;
    }
}
