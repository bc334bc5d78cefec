using System.Globalization;

namespace MediaServer.Codecs.Sdp;

/// <summary>The H.264 profiles that RFC 6184 §8.1 Table 5 (and RFC 7742 §6.2 for Constrained High) tell apart in SDP.</summary>
public enum H264Profile
{
    ConstrainedBaseline,
    Baseline,
    Main,
    Extended,
    High,
    ConstrainedHigh,
    High10,
    High422,
    High444,
    High10Intra,
    High422Intra,
    High444Intra,
    Cavlc444Intra,
}

/// <summary>
/// The <c>profile-level-id</c> fmtp parameter of H.264 (RFC 6184 §8.1): three bytes in hex, profile_idc, profile-iop (the
/// constraint_set0..5 flags, then two reserved zero bits) and level_idc. Several (profile_idc, profile-iop) pairs name the same
/// profile: a Constrained Baseline stream may be signalled as 42e01f, 42c01f, 4de01f or 58c01f. Two formats carry the same
/// codec when their profiles are the same (RFC 6184 §8.2.2: the profile must not change in offer/answer; the level may,
/// downwards, or freely in each direction with level-asymmetry-allowed=1, RFC 6184 §8.1), so the level is kept but is not
/// part of the identity.
/// </summary>
public readonly record struct H264ProfileLevelId(H264Profile Profile, byte LevelIdc, bool IsLevel1b)
{
    public const string ParameterName = "profile-level-id";

    /// <summary>RFC 6184 §8.1: without profile-level-id, Baseline at level 1 (42000A) is inferred.</summary>
    public static H264ProfileLevelId Default { get; } = new(H264Profile.Baseline, 10, false);

    // RFC 6184 §8.1 Table 5 (profile_idc, profile-iop with x = either) and the Constrained High profile (ITU-T H.264 A.2.4.2:
    // High with constraint_set4 and constraint_set5); the first matching row wins.
    private static readonly (byte ProfileIdc, string Iop, H264Profile Profile)[] Table =
    [
        (0x42, "x1xx0000", H264Profile.ConstrainedBaseline),
        (0x4D, "1xxx0000", H264Profile.ConstrainedBaseline),
        (0x58, "11xx0000", H264Profile.ConstrainedBaseline),
        (0x42, "x0xx0000", H264Profile.Baseline),
        (0x58, "10xx0000", H264Profile.Baseline),
        (0x4D, "0x0x0000", H264Profile.Main),
        (0x58, "00xx0000", H264Profile.Extended),
        (0x64, "00000000", H264Profile.High),
        (0x64, "00001100", H264Profile.ConstrainedHigh),
        (0x6E, "00000000", H264Profile.High10),
        (0x7A, "00000000", H264Profile.High422),
        (0xF4, "00000000", H264Profile.High444),
        (0x6E, "00010000", H264Profile.High10Intra),
        (0x7A, "00010000", H264Profile.High422Intra),
        (0xF4, "00010000", H264Profile.High444Intra),
        (0x2C, "00010000", H264Profile.Cavlc444Intra),
    ];

    /// <summary>Reads six hex digits; false for a malformed value or a (profile_idc, profile-iop) pair no profile has.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out H264ProfileLevelId value)
    {
        value = default;
        if (text.Length != 6 || !uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var bits))
        {
            return false;
        }
        var profileIdc = (byte)(bits >> 16);
        var iop = (byte)(bits >> 8);
        var levelIdc = (byte)bits;
        foreach (var (idc, pattern, profile) in Table)
        {
            if (idc == profileIdc && Matches(pattern, iop))
            {
                // RFC 6184 §8.1: level_idc 11 with constraint_set3_flag in Baseline, Main or Extended means level 1b.
                var level1b = levelIdc == 11 && (iop & 0x10) != 0
                    && profile is H264Profile.ConstrainedBaseline or H264Profile.Baseline or H264Profile.Main or H264Profile.Extended;
                value = new H264ProfileLevelId(profile, levelIdc, level1b);
                return true;
            }
        }
        return false;
    }

    /// <summary>The profile-level-id an fmtp names, or the RFC default when it names none.</summary>
    public static bool TryFromFmtp(string? fmtpParameters, out H264ProfileLevelId value)
    {
        if (fmtpParameters is null)
        {
            value = Default;
            return true;
        }
        var fmtp = new SdpFmtp(0, fmtpParameters);
        if (!fmtp.TryGetParameter(ParameterName, out var text))
        {
            value = Default;
            return true;
        }
        return TryParse(text, out value);
    }

    /// <summary>Whether two H.264 fmtp parameter strings describe the same codec: the same profile (RFC 6184 §8.2.2).</summary>
    public static bool IsSameCodec(string? fmtpA, string? fmtpB) =>
        TryFromFmtp(fmtpA, out var a) && TryFromFmtp(fmtpB, out var b) && a.Profile == b.Profile;

    private static bool Matches(string pattern, byte iop)
    {
        for (var i = 0; i < 8; i++)
        {
            var bit = (iop >> (7 - i)) & 1;
            if (pattern[i] != 'x' && pattern[i] - '0' != bit)
            {
                return false;
            }
        }
        return true;
    }

    public override string ToString() => IsLevel1b ? $"{Profile} level 1b" : string.Create(CultureInfo.InvariantCulture,
        $"{Profile} level {LevelIdc / 10}.{LevelIdc % 10}");
}
