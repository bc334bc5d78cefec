using System.Globalization;

namespace MediaServer.Codecs.Sdp;

/// <summary>
/// <c>a=rtcp-fb:&lt;pt|*&gt; &lt;type&gt; [&lt;subtype and parameters&gt;]</c> (RFC 4585 §4.2), e.g. <c>96 nack pli</c>,
/// <c>96 ccm fir</c>, <c>96 goog-remb</c>, <c>* trr-int 100</c>. <see cref="PayloadType"/> null means '*' (all formats).
/// <see cref="Subtype"/> is everything after the type, as sent.
/// </summary>
public sealed record SdpRtcpFeedback(int? PayloadType, string Type, string? Subtype = null)
{
    public const string AttributeName = "rtcp-fb";

    public static bool TryParse(string? value, out SdpRtcpFeedback? result, out string? error)
    {
        result = null;
        var ptText = SdpText.FirstField(value ?? string.Empty, out var rest);
        int? pt = null;
        if (ptText != "*")
        {
            if (!SdpText.TryParsePayloadType(ptText, out var number, out error))
            {
                return false;
            }
            pt = number;
        }
        var type = SdpText.FirstField(rest, out var subtype);
        if (!SdpText.IsToken(type))
        {
            error = $"feedback type {SdpText.Quote(type)} is missing or not a valid token";
            return false;
        }
        subtype = subtype.TrimEnd(' ', '\t');
        error = null;
        result = new SdpRtcpFeedback(pt, type, subtype.Length == 0 ? null : subtype);
        return true;
    }

    /// <summary>True when this feedback applies to <paramref name="payloadType"/> (its own number or '*').</summary>
    public bool AppliesTo(int payloadType) => PayloadType is null || PayloadType == payloadType;

    /// <summary>The attribute value, e.g. <c>96 nack pli</c>.</summary>
    public override string ToString() =>
        (PayloadType is int pt ? pt.ToString(CultureInfo.InvariantCulture) : "*") + " " + Type
        + (Subtype is null ? string.Empty : " " + Subtype);
}
