using System.Globalization;

namespace MediaServer.Codecs.Sdp;

/// <summary>
/// A light reading of <c>a=candidate:</c> (RFC 8839 §5.1): <c>foundation component transport priority address port
/// typ type [raddr a] [rport p] *(name value)</c>. <see cref="Raw"/> is the attribute value as sent (everything after
/// <c>candidate:</c>), so extensions the server does not read (generation, ufrag, network-id, tcptype) are not lost.
/// The address may be an mDNS name (<c>xxxx.local</c>), so it is kept as text.
/// </summary>
public sealed record SdpCandidate(
    string Raw,
    string Foundation,
    int Component,
    string Transport,
    uint Priority,
    string Address,
    int Port,
    string Type,
    string? RelatedAddress = null,
    int? RelatedPort = null)
{
    public const string AttributeName = "candidate";

    public static bool TryParse(string? value, out SdpCandidate? result, out string? error)
    {
        result = null;
        var raw = value ?? string.Empty;
        var f = SdpText.SplitFields(raw);
        if (f.Length < 8 || !string.Equals(f[6], "typ", StringComparison.OrdinalIgnoreCase))
        {
            error = $"expected '<foundation> <component> <transport> <priority> <address> <port> typ <type> ...' but found {SdpText.Quote(value)}";
            return false;
        }
        // RFC 8839 §5.1: foundation = 1*32ice-char, component-id = 1*3DIGIT, priority = 1*10DIGIT.
        if (f[0].Length > 32 || !IsIceChars(f[0]))
        {
            error = $"foundation {SdpText.Quote(f[0])} is not 1..32 ICE characters";
            return false;
        }
        if (!SdpText.TryParseInt(f[1], 1, 256, out int component))
        {
            error = $"component {SdpText.Quote(f[1])} is not a whole number in 1..256";
            return false;
        }
        if (!SdpText.IsToken(f[2]))
        {
            error = $"transport {SdpText.Quote(f[2])} is not a valid token";
            return false;
        }
        if (!SdpText.TryParseUInt32(f[3], out var priority))
        {
            error = $"priority {SdpText.Quote(f[3])} is not a whole number in 0..4294967295";
            return false;
        }
        if (!SdpText.TryParseInt(f[5], 0, 65535, out int port))
        {
            error = $"port {SdpText.Quote(f[5])} is not a whole number in 0..65535";
            return false;
        }
        if (!SdpText.IsToken(f[7]))
        {
            error = $"candidate type {SdpText.Quote(f[7])} is not a valid token";
            return false;
        }
        string? relatedAddress = null;
        int? relatedPort = null;
        // Extensions come in name/value pairs; raddr and rport are the two this reading keeps.
        for (var i = 8; i + 1 < f.Length; i += 2)
        {
            if (string.Equals(f[i], "raddr", StringComparison.OrdinalIgnoreCase))
            {
                relatedAddress = f[i + 1];
            }
            else if (string.Equals(f[i], "rport", StringComparison.OrdinalIgnoreCase))
            {
                if (!SdpText.TryParseInt(f[i + 1], 0, 65535, out int rport))
                {
                    error = $"rport {SdpText.Quote(f[i + 1])} is not a whole number in 0..65535";
                    return false;
                }
                relatedPort = rport;
            }
        }
        error = null;
        result = new SdpCandidate(raw, f[0], component, f[2], priority, f[4], port, f[7], relatedAddress, relatedPort);
        return true;
    }

    /// <summary>Builds a candidate and its <see cref="Raw"/> text, e.g. for an ICE-lite answer's host candidates.</summary>
    public static SdpCandidate Create(string foundation, int component, string transport, uint priority, string address, int port, string type)
    {
        var raw = string.Create(CultureInfo.InvariantCulture, $"{foundation} {component} {transport} {priority} {address} {port} typ {type}");
        return new SdpCandidate(raw, foundation, component, transport, priority, address, port, type);
    }

    /// <summary>The attribute value (<see cref="Raw"/>).</summary>
    public override string ToString() => Raw;

    private static bool IsIceChars(string s)
    {
        if (s.Length == 0)
        {
            return false;
        }
        foreach (var c in s)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '/'))
            {
                return false;
            }
        }
        return true;
    }

    internal static bool IsIceCharString(string? s, int minLength, int maxLength) =>
        s is not null && s.Length >= minLength && s.Length <= maxLength && IsIceChars(s);
}
