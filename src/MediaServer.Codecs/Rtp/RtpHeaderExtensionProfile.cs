namespace MediaServer.Codecs.Rtp;

/// <summary>The "defined by profile" values RFC 8285 gives the two element forms.</summary>
public static class RtpHeaderExtensionProfile
{
    /// <summary>RFC 8285 §4.2: one-byte header elements.</summary>
    public const ushort OneByte = 0xBEDE;

    /// <summary>RFC 8285 §4.3: two-byte header elements; the low 4 bits ("appbits") are the application's.</summary>
    public const ushort TwoByte = 0x1000;

    public static bool IsOneByte(ushort profile) => profile == OneByte;

    public static bool IsTwoByte(ushort profile) => (profile & 0xFFF0) == TwoByte;
}
