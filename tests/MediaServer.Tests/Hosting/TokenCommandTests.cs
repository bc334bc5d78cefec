using MediaServer.Hosting;
using MediaServer.Hosting.Cli;

namespace MediaServer.Tests.Hosting;

public sealed class TokenCommandTests
{
    [Theory]
    [InlineData("30s", 30)]
    [InlineData("10m", 600)]
    [InlineData("2h", 7200)]
    [InlineData("1d", 86400)]
    [InlineData("00:05:00", 300)]
    public void Durations_parse(string text, int seconds)
    {
        Assert.True(TokenCommand.TryParseDuration(text, out var duration));
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-5m")]
    [InlineData("0s")]
    [InlineData("10x")]
    public void Nonsense_durations_are_refused(string text) => Assert.False(TokenCommand.TryParseDuration(text, out _));

    [Fact]
    public void A_missing_role_prints_usage_and_fails()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(2, TokenCommand.Run(["--sub", "ops"], output, error));
        Assert.Contains("usage", error.ToString(), StringComparison.Ordinal);
        Assert.Equal("", output.ToString());
    }
}
