namespace MediaServer.Codecs.Sdp;

/// <summary>Look-ups over an attribute list, shared by session and media level. Names compare case-insensitively.</summary>
public static class SdpAttributeExtensions
{
    public static SdpAttribute? Find(this IReadOnlyList<SdpAttribute> attributes, string name)
    {
        foreach (var attribute in attributes)
        {
            if (string.Equals(attribute.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return attribute;
            }
        }
        return null;
    }

    public static IEnumerable<SdpAttribute> FindAll(this IReadOnlyList<SdpAttribute> attributes, string name)
    {
        foreach (var attribute in attributes)
        {
            if (string.Equals(attribute.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                yield return attribute;
            }
        }
    }

    public static bool Has(this IReadOnlyList<SdpAttribute> attributes, string name) => attributes.Find(name) is not null;

    /// <summary>The explicit direction attribute in this list, if any.</summary>
    public static SdpDirection? FindDirection(this IReadOnlyList<SdpAttribute> attributes)
    {
        foreach (var attribute in attributes)
        {
            if (SdpDirections.TryParse(attribute.Name, out var direction))
            {
                return direction;
            }
        }
        return null;
    }

    internal delegate bool ValueParser<T>(string? value, out T? result, out string? error);

    /// <summary>
    /// Parses every attribute called <paramref name="name"/>. A description from <see cref="SdpParser"/> has already
    /// passed these checks; one built by hand with a malformed value throws here, naming the attribute.
    /// </summary>
    internal static List<T> ParseAll<T>(this IReadOnlyList<SdpAttribute> attributes, string name, ValueParser<T> parse)
        where T : class
    {
        var list = new List<T>();
        foreach (var attribute in attributes.FindAll(name))
        {
            list.Add(ParseOne(attribute, parse));
        }
        return list;
    }

    internal static T? ParseFirst<T>(this IReadOnlyList<SdpAttribute> attributes, string name, ValueParser<T> parse)
        where T : class =>
        attributes.Find(name) is { } attribute ? ParseOne(attribute, parse) : null;

    private static T ParseOne<T>(SdpAttribute attribute, ValueParser<T> parse)
        where T : class =>
        parse(attribute.Value, out var result, out var error)
            ? result!
            : throw new FormatException($"a={attribute.Name}: {error}");
}
