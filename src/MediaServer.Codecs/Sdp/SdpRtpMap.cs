using System.Globalization;

namespace MediaServer.Codecs.Sdp;

/// <summary>
/// <c>a=rtpmap:&lt;payload type&gt; &lt;encoding name&gt;/&lt;clock rate&gt;[/&lt;channels&gt;]</c> (RFC 8866 §6.6).
/// For audio the optional parameter is the channel count; nothing else uses it in practice.
/// </summary>
public sealed record SdpRtpMap(int PayloadType, string EncodingName, int ClockRate, int? Channels = null)
{
    public const string AttributeName = "rtpmap";

    public static bool TryParse(string? value, out SdpRtpMap? result, out string? error)
    {
        result = null;
        var ptText = SdpText.FirstField(value ?? string.Empty, out var rest);
        if (!SdpText.TryParsePayloadType(ptText, out var pt, out error))
        {
            return false;
        }
        var parts = rest.TrimEnd(' ', '\t').Split('/');
        if (rest.Length == 0 || parts.Length < 2 || parts.Length > 3)
        {
            error = $"expected '<payload type> <encoding>/<clock rate>[/<channels>]' but found {SdpText.Quote(value)}";
            return false;
        }
        if (!SdpText.IsToken(parts[0]))
        {
            error = $"encoding name {SdpText.Quote(parts[0])} is not a valid token";
            return false;
        }
        if (!SdpText.TryParseInt(parts[1], 1, int.MaxValue, out int clockRate))
        {
            error = $"clock rate {SdpText.Quote(parts[1])} is not a positive whole number";
            return false;
        }
        int? channels = null;
        if (parts.Length == 3)
        {
            if (!SdpText.TryParseInt(parts[2], 1, 255, out int ch))
            {
                error = $"channel count {SdpText.Quote(parts[2])} is not a whole number in 1..255";
                return false;
            }
            channels = ch;
        }
        result = new SdpRtpMap(pt, parts[0], clockRate, channels);
        return true;
    }

    /// <summary>True when the encoding name matches, ignoring case as RFC 4855 §3 says MIME subtypes do.</summary>
    public bool Is(string encodingName) => string.Equals(EncodingName, encodingName, StringComparison.OrdinalIgnoreCase);

    /// <summary>The attribute value, e.g. <c>111 opus/48000/2</c>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{PayloadType} {EncodingName}/{ClockRate}")
        + (Channels is int ch ? "/" + ch.ToString(CultureInfo.InvariantCulture) : string.Empty);
}
