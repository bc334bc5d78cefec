using System.Globalization;

namespace MediaServer.Codecs.Sdp;

/// <summary>Small lexical helpers shared by the SDP parser and the typed attribute parsers.</summary>
internal static class SdpText
{
    /// <summary>RFC 8866 §9 <c>token-char</c>: printable ASCII except space and the separators <c>"(),/:;&lt;=&gt;?@[\]</c>.</summary>
    public static bool IsTokenChar(char c) =>
        c is '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '{' or '|' or '}' or '~'
        || char.IsAsciiLetterOrDigit(c);

    public static bool IsToken(string? s)
    {
        if (string.IsNullOrEmpty(s))
        {
            return false;
        }
        foreach (var c in s)
        {
            if (!IsTokenChar(c))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Visible ASCII (0x21..0x7E): what a non-token field such as an address or URI may contain.</summary>
    public static bool IsVisible(string? s)
    {
        if (string.IsNullOrEmpty(s))
        {
            return false;
        }
        foreach (var c in s)
        {
            if (c < 0x21 || c > 0x7E)
            {
                return false;
            }
        }
        return true;
    }

    public static bool IsDigits(string? s)
    {
        if (string.IsNullOrEmpty(s))
        {
            return false;
        }
        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>A plain decimal integer (ASCII digits only, no sign, no whitespace) within [min, max].</summary>
    public static bool TryParseInt(string? s, long min, long max, out long value)
    {
        value = 0;
        if (!IsDigits(s) || s!.Length > 19)
        {
            return false;
        }
        if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            return false;
        }
        return value >= min && value <= max;
    }

    public static bool TryParseInt(string? s, int min, int max, out int value)
    {
        var ok = TryParseInt(s, (long)min, max, out long wide);
        value = ok ? (int)wide : 0;
        return ok;
    }

    public static bool TryParseUInt32(string? s, out uint value)
    {
        var ok = TryParseInt(s, 0L, uint.MaxValue, out long wide);
        value = ok ? (uint)wide : 0;
        return ok;
    }

    public static bool TryParseUInt64(string? s, out ulong value)
    {
        value = 0;
        return IsDigits(s) && s!.Length <= 20 && ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Splits on runs of spaces (tabs too): SDP says one space, peers sometimes send more.</summary>
    public static string[] SplitFields(string s) =>
        s.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Splits off the first space-separated field; <paramref name="rest"/> is the remainder without leading spaces.</summary>
    public static string FirstField(string s, out string rest)
    {
        s = s.TrimStart(' ', '\t');
        var space = s.IndexOfAny([' ', '\t']);
        if (space < 0)
        {
            rest = string.Empty;
            return s;
        }
        rest = s[(space + 1)..].TrimStart(' ', '\t');
        return s[..space];
    }

    /// <summary>Quotes a peer's text for an error message, cut short so an error never echoes kilobytes back.</summary>
    public static string Quote(string? s)
    {
        if (s is null)
        {
            return "(none)";
        }
        const int Max = 60;
        var shown = s.Length > Max ? s[..Max] + "…" : s;
        var chars = shown.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsControl(chars[i]))
            {
                chars[i] = '?';
            }
        }
        return "'" + new string(chars) + "'";
    }

    /// <summary>An RTP payload type: RFC 3550 §5.1 gives it 7 bits.</summary>
    public static bool TryParsePayloadType(string? s, out int payloadType, out string? error)
    {
        if (TryParseInt(s, 0, SdpLimits.MaxPayloadType, out payloadType))
        {
            error = null;
            return true;
        }
        error = string.IsNullOrEmpty(s)
            ? "the payload type is missing"
            : $"payload type {Quote(s)} is not a whole number in 0..{SdpLimits.MaxPayloadType}";
        return false;
    }

    public static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);
}
