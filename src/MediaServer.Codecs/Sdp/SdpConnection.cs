using System.Globalization;
using System.Net;

namespace MediaServer.Codecs.Sdp;

/// <summary>
/// A <c>c=</c> line (RFC 8866 §5.7): <c>c=IN IP4 224.2.1.1/127/3</c>. For IP4 the first slash number is the multicast
/// TTL and the second the number of addresses; for IP6 there is no TTL, so the only slash number is the address count.
/// An IP4 <see cref="AddressCount"/> is only meaningful with a <see cref="Ttl"/> (RFC 8866 §5.7 grammar).
/// </summary>
public sealed record SdpConnection(string NetType, string AddressType, string Address, int? Ttl = null, int? AddressCount = null)
{
    /// <summary>A unicast <c>c=IN IP4|IP6 address</c> for the given IP address.</summary>
    public static SdpConnection FromIPAddress(IPAddress address) =>
        new("IN", address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "IP6" : "IP4", address.ToString());

    /// <summary>The address as an <see cref="IPAddress"/> when it is a literal of the stated family (not an FQDN).</summary>
    public bool TryGetIPAddress(out IPAddress? address)
    {
        address = null;
        if (!IPAddress.TryParse(Address, out var parsed))
        {
            return false;
        }
        var family = parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "IP6" : "IP4";
        if (!string.Equals(family, AddressType, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        address = parsed;
        return true;
    }

    public override string ToString()
    {
        var text = $"{NetType} {AddressType} {Address}";
        if (Ttl is int ttl)
        {
            text += "/" + ttl.ToString(CultureInfo.InvariantCulture);
        }
        if (AddressCount is int count)
        {
            text += "/" + count.ToString(CultureInfo.InvariantCulture);
        }
        return text;
    }
}
