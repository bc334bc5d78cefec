using System.Net;
using System.Net.Sockets;

namespace MediaServer.Transport;

/// <summary>
/// The networks plain (unauthenticated) RTP is accepted from: <c>MediaServer:Rtp:AllowedNetworks</c>, a list of CIDR prefixes
/// (RFC 4632 §3.1 for IPv4, RFC 4291 §2.3 for IPv6). A plain-RTP join or tap from an address outside them is refused before any
/// port is bound. An empty list means loopback only, so that a missing setting never opens the server to everyone.
/// </summary>
public sealed class AllowedNetworks
{
    /// <summary>What an empty or absent setting means.</summary>
    public static readonly IReadOnlyList<string> LoopbackOnly = ["127.0.0.0/8", "::1/128"];

    private readonly IPNetwork[] _networks;

    private AllowedNetworks(IPNetwork[] networks) => _networks = networks;

    /// <summary>The prefixes as configured (canonical text), for messages and logs.</summary>
    public IReadOnlyList<string> Prefixes => Array.ConvertAll(_networks, n => n.ToString());

    /// <summary>Parses the configured list; false with a plain error naming the first entry that is not a CIDR prefix.</summary>
    public static bool TryParse(IReadOnlyList<string>? prefixes, out AllowedNetworks? networks, out string? error)
    {
        networks = null;
        var entries = prefixes is null || prefixes.Count == 0 ? LoopbackOnly : prefixes;
        var parsed = new IPNetwork[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            var text = entries[i]?.Trim() ?? "";
            // A base address with bits set past the prefix (10.1.2.3/8) is a typo more often than an intent: refused, not masked.
            var slash = text.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0 || !IPNetwork.TryParse(text, out parsed[i])
                || !IPAddress.TryParse(text.AsSpan(0, slash), out var written) || !written.Equals(parsed[i].BaseAddress))
            {
                error = $"MediaServer:Rtp:AllowedNetworks entry {i} '{text}' is not a CIDR prefix such as 10.20.0.0/16 or fd00::/8 "
                    + "(the address must have no bits set past the prefix length).";
                return false;
            }
        }
        networks = new AllowedNetworks(parsed);
        error = null;
        return true;
    }

    public static AllowedNetworks Parse(IReadOnlyList<string>? prefixes) =>
        TryParse(prefixes, out var networks, out var error) ? networks! : throw new ArgumentException(error, nameof(prefixes));

    /// <summary>Whether <paramref name="address"/> lies in one of the networks (an IPv4-mapped IPv6 address counts as IPv4).</summary>
    public bool Contains(IPAddress address)
    {
        var normalized = Normalize(address);
        foreach (var network in _networks)
        {
            if (network.Contains(normalized))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The address as the client's own: an IPv4-mapped IPv6 address (a dual-stack listener's view of an IPv4 client,
    /// RFC 4291 §2.5.5.2) becomes the IPv4 address, and an IPv6 scope id is dropped, so comparisons see one form.
    /// </summary>
    public static IPAddress Normalize(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0)
        {
            return new IPAddress(address.GetAddressBytes());
        }
        return address;
    }
}
