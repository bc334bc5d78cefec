using MediaServer.Api;

namespace MediaServer.Tests.Api;

public sealed class InputRulesTests
{
    [Theory]
    [InlineData("i1", true)]
    [InlineData("A-z_0.9", true)]
    [InlineData("", false)]
    [InlineData("has space", false)]
    [InlineData("semi;colon", false)]
    [InlineData("ünïcode", false)]
    [InlineData("../etc", false)]
    public void Ids_are_1_to_64_characters_of_a_small_alphabet(string id, bool valid)
    {
        Assert.Equal(valid, InputRules.IsId(id));
    }

    [Fact]
    public void Ids_longer_than_64_are_refused()
    {
        Assert.True(InputRules.IsId(new string('a', 64)));
        Assert.False(InputRules.IsId(new string('a', 65)));
        Assert.False(InputRules.IsId(null));
    }

    [Theory]
    [InlineData("Jane Doe", true)]
    [InlineData("Zoë O'Brien-Łukasz", true)]
    [InlineData("   ", false)]
    [InlineData("line\nbreak", false)]
    [InlineData("nul\u0000", false)]
    [InlineData("bell\u0007", false)]
    public void Names_have_no_control_characters(string name, bool valid)
    {
        Assert.Equal(valid, InputRules.IsText(name, InputRules.MaxNameLength));
    }

    [Fact]
    public void Names_are_at_most_200_characters()
    {
        Assert.True(InputRules.IsText(new string('n', 200), InputRules.MaxNameLength));
        Assert.False(InputRules.IsText(new string('n', 201), InputRules.MaxNameLength));
    }

    [Theory]
    [InlineData("2026-05-01T14:00:00+02:00", true)]
    [InlineData("2026-05-01T12:00:00Z", true)]
    [InlineData("2026-05-01T12:00Z", true)]
    [InlineData("2026-05-01T12:00:00.1234567-05:00", true)]
    [InlineData("2026-05-01T12:00:00", false)]
    [InlineData("2026-05-01", false)]
    [InlineData("05/01/2026 12:00 +00:00", false)]
    [InlineData("2026-13-01T12:00:00Z", false)]
    [InlineData("", false)]
    public void Timestamps_need_an_explicit_offset(string text, bool valid)
    {
        Assert.Equal(valid, InputRules.TryParseTimestamp(text, out _));
    }

    [Fact]
    public void The_offset_is_kept()
    {
        Assert.True(InputRules.TryParseTimestamp("2026-05-01T14:00:00+02:00", out var value));
        Assert.Equal(new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero), value.ToUniversalTime());
    }
}
