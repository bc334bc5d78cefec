using System.Globalization;

namespace MediaServer.Codecs.Sdp;

/// <summary>
/// <c>a=fmtp:&lt;payload type&gt; &lt;parameters&gt;</c> (RFC 8866 §6.15). <see cref="RawParameters"/> is the text as
/// sent; <see cref="Parameters"/> is its <c>key=value;key=value</c> reading with case-insensitive keys. Values keep
/// everything after the first '=' (base64 <c>sprop-parameter-sets</c> end in '='). A part without '=' — RFC 4733's
/// <c>0-15</c>, RFC 2198's <c>111/111</c> — becomes a key with an empty value.
/// </summary>
public sealed record SdpFmtp(int PayloadType, string RawParameters)
{
    public const string AttributeName = "fmtp";

    private IReadOnlyDictionary<string, string>? _parameters;

    /// <summary>The parameters by name (case-insensitive); on repeated names the first one wins.</summary>
    public IReadOnlyDictionary<string, string> Parameters => _parameters ??= ParseParameters(RawParameters);

    public static bool TryParse(string? value, out SdpFmtp? result, out string? error)
    {
        result = null;
        var ptText = SdpText.FirstField(value ?? string.Empty, out var rest);
        if (!SdpText.TryParsePayloadType(ptText, out var pt, out error))
        {
            return false;
        }
        result = new SdpFmtp(pt, rest);
        return true;
    }

    /// <summary>Builds an fmtp from parameters, written as <c>k=v;k=v</c> in the given order.</summary>
    public static SdpFmtp Create(int payloadType, params IEnumerable<KeyValuePair<string, string>> parameters) =>
        new(payloadType, string.Join(';', parameters.Select(p => p.Value.Length == 0 ? p.Key : p.Key + "=" + p.Value)));

    public bool TryGetParameter(string name, out string value)
    {
        if (Parameters.TryGetValue(name, out var found))
        {
            value = found;
            return true;
        }
        value = string.Empty;
        return false;
    }

    /// <summary>A numeric parameter such as <c>packetization-mode</c>, <c>apt</c>, <c>minptime</c>, <c>useinbandfec</c>.</summary>
    public bool TryGetInt64(string name, out long value)
    {
        value = 0;
        return TryGetParameter(name, out var text) && SdpText.TryParseInt(text, 0L, long.MaxValue, out value);
    }

    /// <summary>The attribute value, e.g. <c>102 packetization-mode=1;profile-level-id=42e01f</c>.</summary>
    public override string ToString() =>
        RawParameters.Length == 0
            ? PayloadType.ToString(CultureInfo.InvariantCulture)
            : PayloadType.ToString(CultureInfo.InvariantCulture) + " " + RawParameters;

    private static Dictionary<string, string> ParseParameters(string raw)
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in raw.Split(';'))
        {
            var item = part.Trim(' ', '\t');
            if (item.Length == 0)
            {
                continue;
            }
            var eq = item.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? item : item[..eq].Trim(' ', '\t');
            var val = eq < 0 ? string.Empty : item[(eq + 1)..].Trim(' ', '\t');
            if (key.Length > 0)
            {
                map.TryAdd(key, val);
            }
        }
        return map;
    }
}
