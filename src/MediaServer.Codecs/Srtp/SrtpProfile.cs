namespace MediaServer.Codecs.Srtp;

/// <summary>
/// The SRTP protection profiles this server speaks. Each value is the profile's DTLS-SRTP identifier, so a
/// negotiated <c>use_srtp</c> value casts straight to it (RFC 5764 §4.1.2, RFC 7714 §14.2).
/// </summary>
public enum SrtpProfile : ushort
{
    /// <summary>SRTP_AES128_CM_HMAC_SHA1_80 = {0x00, 0x01}: AES-128 counter mode, HMAC-SHA1 truncated to 80 bits.</summary>
    AesCm128HmacSha1_80 = 0x0001,

    /// <summary>SRTP_AEAD_AES_128_GCM = {0x00, 0x07}: AES-128-GCM with a 16-byte tag (RFC 7714).</summary>
    AeadAes128Gcm = 0x0007,
}

/// <summary>The fixed parameters of each <see cref="SrtpProfile"/>.</summary>
public static class SrtpProfileExtensions
{
    /// <summary>The DTLS-SRTP protection profile identifier (the enum value itself).</summary>
    public static ushort ProtectionProfileId(this SrtpProfile profile) => (ushort)profile;

    /// <summary>Maps a negotiated DTLS-SRTP protection profile identifier to a profile; false for ones we do not speak.</summary>
    public static bool TryFromProtectionProfileId(ushort id, out SrtpProfile profile)
    {
        profile = (SrtpProfile)id;
        return IsSupported(profile);
    }

    /// <summary>True for the profiles this implementation handles.</summary>
    public static bool IsSupported(this SrtpProfile profile) =>
        profile is SrtpProfile.AesCm128HmacSha1_80 or SrtpProfile.AeadAes128Gcm;

    /// <summary>Master key length in bytes: 16 for both profiles (RFC 5764 §4.1.2, RFC 7714 §14.2).</summary>
    public static int MasterKeyLength(this SrtpProfile profile)
    {
        Validate(profile);
        return 16;
    }

    /// <summary>Master salt length in bytes: 14 for AES-CM (RFC 3711 §8.2), 12 for GCM (RFC 7714 §12).</summary>
    public static int MasterSaltLength(this SrtpProfile profile)
    {
        Validate(profile);
        return profile == SrtpProfile.AeadAes128Gcm ? 12 : 14;
    }

    /// <summary>Session salt length in bytes; the KDF derives it at the master salt's length.</summary>
    public static int SessionSaltLength(this SrtpProfile profile) => profile.MasterSaltLength();

    /// <summary>Session authentication key length: 20 bytes for HMAC-SHA1 (RFC 3711 §8.2); none for GCM.</summary>
    public static int SessionAuthKeyLength(this SrtpProfile profile)
    {
        Validate(profile);
        return profile == SrtpProfile.AeadAes128Gcm ? 0 : 20;
    }

    /// <summary>Authentication tag length in bytes: 10 (80 bits) for HMAC-SHA1-80, 16 for GCM (RFC 7714 §14.2).</summary>
    public static int AuthTagLength(this SrtpProfile profile)
    {
        Validate(profile);
        return profile == SrtpProfile.AeadAes128Gcm ? 16 : 10;
    }

    /// <summary>Bytes SRTP adds to an RTP packet: the tag (no MKI is ever sent).</summary>
    public static int RtpOverhead(this SrtpProfile profile) => profile.AuthTagLength();

    /// <summary>Bytes SRTCP adds to an RTCP packet: the E|index word and the tag (RFC 3711 §3.4).</summary>
    public static int RtcpOverhead(this SrtpProfile profile) => 4 + profile.AuthTagLength();

    private static void Validate(SrtpProfile profile)
    {
        if (!profile.IsSupported())
        {
            throw new ArgumentOutOfRangeException(nameof(profile), profile, "Unsupported SRTP protection profile.");
        }
    }
}
