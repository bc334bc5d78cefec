using System.Globalization;
using System.Text;

namespace MediaServer.Codecs.Sdp;

/// <summary>
/// <c>a=fingerprint:&lt;hash function&gt; &lt;XX:XX:...&gt;</c> (RFC 8122 §5): the digest of the peer's DTLS certificate.
/// The hash function name is kept lower-case; the digest length is checked for the functions RFC 8122 names.
/// </summary>
public sealed record SdpFingerprint
{
    public const string AttributeName = "fingerprint";

    /// <summary>Longest digest accepted for an unknown hash function (SHA-512's length).</summary>
    public const int MaxDigestLength = 64;

    public SdpFingerprint(string hashFunction, byte[] value)
    {
        HashFunction = hashFunction.ToLowerInvariant();
        Value = value;
    }

    /// <summary>Lower-case hash function name, e.g. <c>sha-256</c>.</summary>
    public string HashFunction { get; }

    /// <summary>The digest bytes.</summary>
    public byte[] Value { get; }

    public static bool TryParse(string? value, out SdpFingerprint? result, out string? error)
    {
        result = null;
        var fields = SdpText.SplitFields(value ?? string.Empty);
        if (fields.Length != 2)
        {
            error = $"expected '<hash function> <XX:XX:...>' but found {SdpText.Quote(value)}";
            return false;
        }
        var hash = fields[0].ToLowerInvariant();
        if (!SdpText.IsToken(hash))
        {
            error = $"hash function {SdpText.Quote(fields[0])} is not a valid token";
            return false;
        }
        var hex = fields[1];
        // RFC 8122 §5: 2UHEX *(":" 2UHEX); lower-case hex is accepted because some stacks send it.
        if ((hex.Length + 1) % 3 != 0)
        {
            error = $"fingerprint {SdpText.Quote(hex)} is not colon-separated pairs of hex digits";
            return false;
        }
        var bytes = new byte[(hex.Length + 1) / 3];
        for (var i = 0; i < bytes.Length; i++)
        {
            var at = i * 3;
            if ((at + 2 < hex.Length && hex[at + 2] != ':')
                || !byte.TryParse(hex.AsSpan(at, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out bytes[i])
                || !char.IsAsciiHexDigit(hex[at]) || !char.IsAsciiHexDigit(hex[at + 1]))
            {
                error = $"fingerprint {SdpText.Quote(hex)} is not colon-separated pairs of hex digits";
                return false;
            }
        }
        var expected = ExpectedLength(hash);
        if (expected is int length ? bytes.Length != length : bytes.Length > MaxDigestLength)
        {
            error = $"a {hash} fingerprint has {(expected is int l ? l.ToString(CultureInfo.InvariantCulture) : "at most " + MaxDigestLength.ToString(CultureInfo.InvariantCulture))} bytes, not {bytes.Length.ToString(CultureInfo.InvariantCulture)}";
            return false;
        }
        error = null;
        result = new SdpFingerprint(hash, bytes);
        return true;
    }

    /// <summary>True when this fingerprint uses <paramref name="hashFunction"/> and its digest equals <paramref name="digest"/>.</summary>
    public bool Matches(string hashFunction, ReadOnlySpan<byte> digest) =>
        string.Equals(HashFunction, hashFunction, StringComparison.OrdinalIgnoreCase) && digest.SequenceEqual(Value);

    public bool Equals(SdpFingerprint? other) =>
        other is not null && HashFunction == other.HashFunction && Value.AsSpan().SequenceEqual(other.Value);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(HashFunction);
        hash.AddBytes(Value);
        return hash.ToHashCode();
    }

    /// <summary>The attribute value, e.g. <c>sha-256 4A:AD:...</c>, upper-case hex as RFC 8122 §5 asks.</summary>
    public override string ToString()
    {
        var text = new StringBuilder(HashFunction.Length + 1 + Value.Length * 3);
        text.Append(HashFunction).Append(' ');
        for (var i = 0; i < Value.Length; i++)
        {
            if (i > 0)
            {
                text.Append(':');
            }
            text.Append(Value[i].ToString("X2", CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }

    private static int? ExpectedLength(string hash) => hash switch
    {
        "md2" or "md5" => 16,
        "sha-1" => 20,
        "sha-224" => 28,
        "sha-256" => 32,
        "sha-384" => 48,
        "sha-512" => 64,
        _ => null,
    };
}
