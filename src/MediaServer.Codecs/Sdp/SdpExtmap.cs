using System.Globalization;

namespace MediaServer.Codecs.Sdp;

/// <summary>
/// <c>a=extmap:&lt;id&gt;[/&lt;direction&gt;] &lt;uri&gt; [&lt;extension attributes&gt;]</c> (RFC 8285 §8): an RTP header
/// extension and the local id it is sent under. Ids are 1..14 (one-byte), up to 255 (two-byte), 4096..4351 (offer only).
/// </summary>
public sealed record SdpExtmap(int Id, string Uri, SdpDirection? Direction = null, string? ExtensionAttributes = null)
{
    public const string AttributeName = "extmap";

    public static bool TryParse(string? value, out SdpExtmap? result, out string? error)
    {
        result = null;
        var idText = SdpText.FirstField(value ?? string.Empty, out var rest);
        SdpDirection? direction = null;
        var slash = idText.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            if (!SdpDirections.TryParse(idText[(slash + 1)..], out var parsed))
            {
                error = $"direction {SdpText.Quote(idText[(slash + 1)..])} is not sendrecv, sendonly, recvonly or inactive";
                return false;
            }
            direction = parsed;
            idText = idText[..slash];
        }
        if (!SdpText.TryParseInt(idText, 1, 4351, out int id) || (id > 255 && id < 4096))
        {
            error = $"id {SdpText.Quote(idText)} is not in 1..255 or 4096..4351";
            return false;
        }
        var uri = SdpText.FirstField(rest, out var attributes);
        if (!SdpText.IsVisible(uri))
        {
            error = $"the extension URI is missing in {SdpText.Quote(value)}";
            return false;
        }
        attributes = attributes.TrimEnd(' ', '\t');
        error = null;
        result = new SdpExtmap(id, uri, direction, attributes.Length == 0 ? null : attributes);
        return true;
    }

    public override string ToString() =>
        Id.ToString(CultureInfo.InvariantCulture)
        + (Direction is SdpDirection d ? "/" + d.ToAttributeName() : string.Empty)
        + " " + Uri
        + (ExtensionAttributes is null ? string.Empty : " " + ExtensionAttributes);
}
