namespace MediaServer.Codecs.Sdp;

/// <summary>
/// <c>a=msid:&lt;stream id&gt; [&lt;track id&gt;]</c> (RFC 8830 §2): which MediaStream (and, in older browsers, which
/// track) the m-line's media belongs to. Stream id <c>-</c> means "no stream".
/// </summary>
public sealed record SdpMsid(string StreamId, string? TrackId = null)
{
    public const string AttributeName = "msid";

    /// <summary>RFC 8830 §2: <c>msid-id = 1*64token-char</c>; the app-data part follows the same rule.</summary>
    public const int MaxIdLength = 64;

    public static bool TryParse(string? value, out SdpMsid? result, out string? error)
    {
        result = null;
        var fields = SdpText.SplitFields(value ?? string.Empty);
        if (fields.Length is < 1 or > 2)
        {
            error = $"expected '<stream id> [<track id>]' but found {SdpText.Quote(value)}";
            return false;
        }
        foreach (var field in fields)
        {
            if (!SdpText.IsToken(field) || field.Length > MaxIdLength)
            {
                error = $"id {SdpText.Quote(field)} is not 1..64 token characters";
                return false;
            }
        }
        error = null;
        result = new SdpMsid(fields[0], fields.Length == 2 ? fields[1] : null);
        return true;
    }

    public override string ToString() => TrackId is null ? StreamId : StreamId + " " + TrackId;
}
