namespace MediaServer.Codecs.Sdp;

/// <summary>
/// <c>a=group:&lt;semantics&gt; &lt;mid&gt;...</c> (RFC 5888 §5), e.g. <c>BUNDLE 0 1</c> (RFC 9143) or <c>LS</c> (lip sync).
/// </summary>
public sealed record SdpGroup(string Semantics, IReadOnlyList<string> Mids)
{
    public const string AttributeName = "group";
    public const string Bundle = "BUNDLE";

    public static bool TryParse(string? value, out SdpGroup? result, out string? error)
    {
        result = null;
        var fields = SdpText.SplitFields(value ?? string.Empty);
        foreach (var field in fields)
        {
            if (!SdpText.IsToken(field))
            {
                error = $"{SdpText.Quote(field)} is not a valid token in a=group:{SdpText.Quote(value)}";
                return false;
            }
        }
        if (fields.Length == 0)
        {
            error = "the group semantics is missing";
            return false;
        }
        error = null;
        result = new SdpGroup(fields[0], fields[1..]);
        return true;
    }

    public bool IsBundle => string.Equals(Semantics, Bundle, StringComparison.OrdinalIgnoreCase);

    public override string ToString() => Mids.Count == 0 ? Semantics : Semantics + " " + string.Join(' ', Mids);
}
