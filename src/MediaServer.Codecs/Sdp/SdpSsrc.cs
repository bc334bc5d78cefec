using System.Globalization;

namespace MediaServer.Codecs.Sdp;

/// <summary>
/// <c>a=ssrc:&lt;ssrc&gt; &lt;attribute&gt;[:&lt;value&gt;]</c> (RFC 5576 §4.1), e.g. <c>a=ssrc:3735928559 cname:4TOk42mSjXCkVIa6</c>.
/// The value may contain spaces (<c>msid:stream track</c>).
/// </summary>
public sealed record SdpSsrc(uint Ssrc, string Attribute, string? Value = null)
{
    public const string AttributeName = "ssrc";

    public static bool TryParse(string? value, out SdpSsrc? result, out string? error)
    {
        result = null;
        var ssrcText = SdpText.FirstField(value ?? string.Empty, out var rest);
        if (!SdpText.TryParseUInt32(ssrcText, out var ssrc))
        {
            error = $"SSRC {SdpText.Quote(ssrcText)} is not a whole number in 0..4294967295";
            return false;
        }
        var colon = rest.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? rest.TrimEnd(' ', '\t') : rest[..colon];
        if (!SdpText.IsToken(name))
        {
            error = $"source attribute name {SdpText.Quote(name)} is missing or not a valid token";
            return false;
        }
        error = null;
        result = new SdpSsrc(ssrc, name, colon < 0 ? null : rest[(colon + 1)..]);
        return true;
    }

    public override string ToString() =>
        Ssrc.ToString(CultureInfo.InvariantCulture) + " " + Attribute + (Value is null ? string.Empty : ":" + Value);
}
