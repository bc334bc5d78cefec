using System.Globalization;
using System.Text.RegularExpressions;

namespace MediaServer.Api;

/// <summary>The shapes the API accepts for ids, names, free text and timestamps; each check says plainly what was wrong.</summary>
public static partial class InputRules
{
    public const int MaxIdLength = 64;
    public const int MaxNameLength = 200;
    public const int MaxReasonLength = 500;

    /// <summary>The earliest start a visit may have: older dates are typing errors, and they overflow date arithmetic near year 1.</summary>
    public static readonly DateTimeOffset EarliestStart = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    // ISO 8601 / RFC 3339 §5.6 date-time: a full date, a time, and an explicit offset ("Z" or ±hh:mm).
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|z|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex TimestampPattern();

    public static bool IsId(string? text) => text is not null && IdPattern().IsMatch(text);

    /// <summary>1 to <paramref name="max"/> characters after trimming, no control characters (no line breaks, no NUL).</summary>
    public static bool IsText(string? text, int max)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > max)
        {
            return false;
        }
        foreach (var c in text)
        {
            if (char.IsControl(c))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>An RFC 3339 timestamp with an explicit offset; a local time without one is refused rather than guessed.</summary>
    public static bool TryParseTimestamp(string? text, out DateTimeOffset value)
    {
        value = default;
        return text is not null && text.Length <= 40 && TimestampPattern().IsMatch(text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out value);
    }
}
