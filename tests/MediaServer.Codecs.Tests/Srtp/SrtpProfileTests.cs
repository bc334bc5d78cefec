using MediaServer.Codecs.Srtp;
using static MediaServer.Codecs.Tests.Srtp.SrtpTestPackets;

namespace MediaServer.Codecs.Tests.Srtp;

public class SrtpProfileTests
{
    [Fact]
    public void Profiles_carry_their_DTLS_SRTP_identifiers()
    {
        // RFC 5764 §4.1.2: SRTP_AES128_CM_HMAC_SHA1_80 = {0x00, 0x01}; RFC 7714 §14.2: SRTP_AEAD_AES_128_GCM = {0x00, 0x07}.
        Assert.Equal(0x0001, SrtpProfile.AesCm128HmacSha1_80.ProtectionProfileId());
        Assert.Equal(0x0007, SrtpProfile.AeadAes128Gcm.ProtectionProfileId());
        Assert.True(SrtpProfileExtensions.TryFromProtectionProfileId(0x0007, out SrtpProfile gcm));
        Assert.Equal(SrtpProfile.AeadAes128Gcm, gcm);
    }

    [Theory]
    [InlineData(0x0002)] // SRTP_AES128_CM_HMAC_SHA1_32
    [InlineData(0x0005)] // SRTP_NULL_HMAC_SHA1_80
    [InlineData(0x0008)] // SRTP_AEAD_AES_256_GCM
    public void Profiles_we_do_not_speak_are_not_mapped(ushort id)
    {
        Assert.False(SrtpProfileExtensions.TryFromProtectionProfileId(id, out _));
    }

    [Fact]
    public void Key_salt_and_tag_lengths_follow_the_profile_definitions()
    {
        Assert.Equal((16, 14, 20, 10, 10, 14), Lengths(SrtpProfile.AesCm128HmacSha1_80));
        Assert.Equal((16, 12, 0, 16, 16, 20), Lengths(SrtpProfile.AeadAes128Gcm));
    }

    [Fact]
    public void Asking_an_unsupported_profile_for_its_lengths_throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ((SrtpProfile)0x0002).AuthTagLength());
    }

    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void DTLS_keying_material_gives_each_side_the_peers_write_key_for_reading(SrtpProfile profile)
    {
        // RFC 5764 §4.2: client key | server key | client salt | server salt.
        var material = new byte[DtlsSrtpKeyingMaterial.Length(profile)];
        new Random(5).NextBytes(material);
        var (serverIn, serverOut) = DtlsSrtpKeyingMaterial.CreateContexts(profile, material, isDtlsServer: true);
        var (clientIn, clientOut) = DtlsSrtpKeyingMaterial.CreateContexts(profile, material, isDtlsServer: false);
        using (serverIn)
        using (serverOut)
        using (clientIn)
        using (clientOut)
        {
            byte[] fromClient = ProtectRtp(clientOut, RtpPacketOf(1, 1));
            byte[] fromServer = ProtectRtp(serverOut, RtpPacketOf(2, 1));

            Assert.Equal(SrtpResult.Ok, UnprotectRtp(serverIn, fromClient, out _));
            Assert.Equal(SrtpResult.Ok, UnprotectRtp(clientIn, fromServer, out _));
            Assert.Equal(SrtpResult.AuthFailed, UnprotectRtp(clientIn, fromClient, out _));
        }
    }

    [Fact]
    public void DTLS_keying_material_splits_at_the_RFC_5764_offsets()
    {
        byte[] material = Enumerable.Range(0, 60).Select(i => (byte)i).ToArray();
        var (inbound, outbound) = DtlsSrtpKeyingMaterial.CreateContexts(SrtpProfile.AesCm128HmacSha1_80, material, isDtlsServer: true);
        using var expectedOut = new SrtpContext(SrtpProfile.AesCm128HmacSha1_80, material.AsSpan(16, 16), material.AsSpan(46, 14));
        using (inbound)
        using (outbound)
        {
            Assert.Equal(ProtectRtp(expectedOut, RtpPacketOf(1, 1)), ProtectRtp(outbound, RtpPacketOf(1, 1)));
        }
    }

    [Fact]
    public void DTLS_keying_material_of_the_wrong_length_is_refused()
    {
        Assert.Equal(60, DtlsSrtpKeyingMaterial.Length(SrtpProfile.AesCm128HmacSha1_80));
        Assert.Equal(56, DtlsSrtpKeyingMaterial.Length(SrtpProfile.AeadAes128Gcm));
        Assert.Throws<ArgumentException>(() => DtlsSrtpKeyingMaterial.CreateContexts(SrtpProfile.AeadAes128Gcm, new byte[60], true));
    }

    private static (int, int, int, int, int, int) Lengths(SrtpProfile p) =>
        (p.MasterKeyLength(), p.MasterSaltLength(), p.SessionAuthKeyLength(), p.AuthTagLength(), p.RtpOverhead(), p.RtcpOverhead());
}
