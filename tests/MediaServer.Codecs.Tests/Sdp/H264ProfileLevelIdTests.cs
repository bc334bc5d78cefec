using MediaServer.Codecs.Sdp;

namespace MediaServer.Codecs.Tests.Sdp;

/// <summary>profile-level-id (RFC 6184 §8.1, Table 5) and H.264 codec identity in offer/answer (RFC 6184 §8.2.2).</summary>
public sealed class H264ProfileLevelIdTests
{
    [Theory]
    [InlineData("42e01f", H264Profile.ConstrainedBaseline, 31)]
    [InlineData("42c01f", H264Profile.ConstrainedBaseline, 31)]
    [InlineData("4de01f", H264Profile.ConstrainedBaseline, 31)]
    [InlineData("58c01e", H264Profile.ConstrainedBaseline, 30)]
    [InlineData("42001f", H264Profile.Baseline, 31)]
    [InlineData("58801f", H264Profile.Baseline, 31)]
    [InlineData("4d0032", H264Profile.Main, 50)]
    [InlineData("58001f", H264Profile.Extended, 31)]
    [InlineData("64001f", H264Profile.High, 31)]
    [InlineData("640c34", H264Profile.ConstrainedHigh, 52)]
    [InlineData("6E001f", H264Profile.High10, 31)]
    [InlineData("f4001f", H264Profile.High444, 31)]
    [InlineData("7a101f", H264Profile.High422Intra, 31)]
    [InlineData("2c101f", H264Profile.Cavlc444Intra, 31)]
    public void Profiles_are_read_by_profile_idc_and_constraint_flags(string text, H264Profile profile, int level)
    {
        Assert.True(H264ProfileLevelId.TryParse(text, out var value));
        Assert.Equal(profile, value.Profile);
        Assert.Equal(level, value.LevelIdc);
        Assert.False(value.IsLevel1b);
    }

    [Fact]
    public void Level_11_with_constraint_set3_in_baseline_is_level_1b()
    {
        Assert.True(H264ProfileLevelId.TryParse("42f00b", out var value));
        Assert.Equal(H264Profile.ConstrainedBaseline, value.Profile);
        Assert.True(value.IsLevel1b);
        Assert.True(H264ProfileLevelId.TryParse("42e00b", out var plain));
        Assert.False(plain.IsLevel1b);
    }

    [Theory]
    [InlineData("")]
    [InlineData("42e01")]
    [InlineData("42e01f0")]
    [InlineData("zze01f")]
    [InlineData("+2e01f")]
    [InlineData("ff001f")] // no profile has profile_idc 0xFF
    [InlineData("64801f")] // High with constraint_set0: not in Table 5
    [InlineData("42e11f")] // a reserved bit set
    public void Malformed_or_unknown_values_are_refused(string text) =>
        Assert.False(H264ProfileLevelId.TryParse(text, out _));

    [Fact]
    public void Without_profile_level_id_baseline_level_1_is_inferred()
    {
        Assert.True(H264ProfileLevelId.TryFromFmtp("packetization-mode=1", out var value));
        Assert.Equal(H264ProfileLevelId.Default, value);
        Assert.Equal(H264Profile.Baseline, value.Profile);
        Assert.Equal(10, value.LevelIdc);
        Assert.True(H264ProfileLevelId.TryFromFmtp(null, out var none));
        Assert.Equal(H264ProfileLevelId.Default, none);
    }

    [Theory]
    [InlineData("packetization-mode=1;profile-level-id=42e01f", "profile-level-id=42C01F;packetization-mode=1", true)]
    [InlineData("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", "packetization-mode=1;profile-level-id=42e034", true)]
    [InlineData("packetization-mode=1;profile-level-id=42e01f", "packetization-mode=1;profile-level-id=4de01f", true)]
    [InlineData("packetization-mode=1;profile-level-id=42e01f", "packetization-mode=1;profile-level-id=42001f", false)]
    [InlineData("packetization-mode=1;profile-level-id=42e01f", "packetization-mode=1;profile-level-id=64001f", false)]
    [InlineData("packetization-mode=1;profile-level-id=64001f", "packetization-mode=1;profile-level-id=640c1f", false)]
    [InlineData("packetization-mode=1", "packetization-mode=1;profile-level-id=42000a", true)]
    [InlineData("packetization-mode=1", "packetization-mode=1;profile-level-id=42e01f", false)]
    [InlineData("packetization-mode=1;profile-level-id=ff001f", "packetization-mode=1;profile-level-id=ff001f", false)]
    public void Two_formats_are_the_same_codec_only_with_the_same_profile_whatever_their_levels(string a, string b, bool same)
    {
        Assert.Equal(same, H264ProfileLevelId.IsSameCodec(a, b));
        Assert.Equal(same, H264ProfileLevelId.IsSameCodec(b, a));
    }
}
