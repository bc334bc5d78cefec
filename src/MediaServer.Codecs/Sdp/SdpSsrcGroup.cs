using System.Globalization;

namespace MediaServer.Codecs.Sdp;

/// <summary>
/// <c>a=ssrc-group:&lt;semantics&gt; &lt;ssrc&gt;...</c> (RFC 5576 §4.2), e.g. <c>FID 1111 2222</c> pairs a media SSRC with
/// its RTX SSRC (RFC 4588), <c>SIM</c> lists simulcast layers.
/// </summary>
public sealed record SdpSsrcGroup(string Semantics, IReadOnlyList<uint> Ssrcs)
{
    public const string AttributeName = "ssrc-group";

    public static bool TryParse(string? value, out SdpSsrcGroup? result, out string? error)
    {
        result = null;
        var fields = SdpText.SplitFields(value ?? string.Empty);
        if (fields.Length == 0 || !SdpText.IsToken(fields[0]))
        {
            error = $"expected '<semantics> <ssrc>...' but found {SdpText.Quote(value)}";
            return false;
        }
        var ssrcs = new uint[fields.Length - 1];
        for (var i = 1; i < fields.Length; i++)
        {
            if (!SdpText.TryParseUInt32(fields[i], out ssrcs[i - 1]))
            {
                error = $"SSRC {SdpText.Quote(fields[i])} is not a whole number in 0..4294967295";
                return false;
            }
        }
        error = null;
        result = new SdpSsrcGroup(fields[0], ssrcs);
        return true;
    }

    public override string ToString() =>
        Semantics + string.Concat(Ssrcs.Select(s => " " + s.ToString(CultureInfo.InvariantCulture)));
}
