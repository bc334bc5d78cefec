using MediaServer.Codecs.Srtp;
using MediaServer.Codecs.Tests.TestData;

namespace MediaServer.Codecs.Tests.Srtp;

/// <summary>RFC 3711 Appendix B.3: the initial key derivation with kdr = 0.</summary>
public class SrtpKeyDerivationTests
{
    private static readonly byte[] MasterKey = Hex.Parse("E1F97A0D3E018BE0D64FA32C06DE4139");
    private static readonly byte[] MasterSalt = Hex.Parse("0EC675AD498AFEEBB6960B3AABE6");

    private static string Derive(SrtpKeyLabel label, int length)
    {
        var output = new byte[length];
        SrtpKeyDerivation.DeriveSessionKey(MasterKey, MasterSalt, label, output);
        return Convert.ToHexString(output);
    }

    [Fact]
    public void Cipher_key_matches_RFC_3711_B_3()
    {
        Assert.Equal("C61E7A93744F39EE10734AFE3FF7A087", Derive(SrtpKeyLabel.RtpEncryption, 16));
    }

    [Fact]
    public void Cipher_salt_matches_RFC_3711_B_3()
    {
        Assert.Equal("30CBBC08863D8C85D49DB34A9AE1", Derive(SrtpKeyLabel.RtpSalt, 14));
    }

    [Fact]
    public void Auth_key_matches_all_94_bytes_of_RFC_3711_B_3()
    {
        // Six AES blocks of PRF output: the last one truncated, so the counter's low bytes are exercised too.
        string expected = string.Concat(
            "CEBE321F6FF7716B6FD4AB49AF256A15",
            "6D38BAA48F0A0ACF3C34E2359E6CDBCE",
            "E049646C43D9327AD175578EF7227098",
            "6371C10C9A369AC2F94A8C5FBCDDDC25",
            "6D6E919A48B610EF17C2041E47403576",
            "6B68642C59BBFC2F34DB60DBDFB2");

        Assert.Equal(expected, Derive(SrtpKeyLabel.RtpAuthentication, 94));
    }

    [Fact]
    public void The_HMAC_SHA1_profile_uses_the_first_20_bytes_of_the_auth_key()
    {
        Assert.Equal("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4", Derive(SrtpKeyLabel.RtpAuthentication, 20));
    }

    [Fact]
    public void Every_label_gives_a_different_key()
    {
        var keys = Enum.GetValues<SrtpKeyLabel>().Select(label => Derive(label, 16)).ToList();

        Assert.Equal(6, keys.Distinct().Count());
    }

    [Fact]
    public void A_12_byte_GCM_salt_is_the_14_byte_salt_with_two_zero_bytes_appended()
    {
        // RFC 7714 §11 as corrected by erratum 4938: the 96-bit salt times 2^16 is the PRF's 112-bit salt.
        byte[] salt12 = Hex.Parse("0EC675AD498AFEEBB6960B3A");
        byte[] salt14 = Hex.Parse("0EC675AD498AFEEBB6960B3A0000");
        var from12 = new byte[16];
        var from14 = new byte[16];

        SrtpKeyDerivation.DeriveSessionKey(MasterKey, salt12, SrtpKeyLabel.RtpEncryption, from12);
        SrtpKeyDerivation.DeriveSessionKey(MasterKey, salt14, SrtpKeyLabel.RtpEncryption, from14);

        Assert.Equal(from14, from12);
    }

    [Fact]
    public void Wrong_master_key_or_salt_lengths_are_refused()
    {
        var output = new byte[16];

        Assert.Throws<ArgumentException>(() => SrtpKeyDerivation.DeriveSessionKey(new byte[15], MasterSalt, SrtpKeyLabel.RtpEncryption, output));
        Assert.Throws<ArgumentException>(() => SrtpKeyDerivation.DeriveSessionKey(MasterKey, new byte[15], SrtpKeyLabel.RtpEncryption, output));
    }
}
