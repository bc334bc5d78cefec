using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace MediaServer.Codecs.Stun;

/// <summary>
/// An IP address and port as (XOR-)MAPPED-ADDRESS carries it (RFC 8489 §14.1, §14.2), held by value so the hot path
/// never touches <see cref="IPAddress"/>. IPv4-mapped IPv6 addresses (what a dual-mode socket reports for an IPv4
/// peer) are stored as IPv4: the peer sent from an IPv4 address and that is what it must learn.
/// </summary>
public readonly struct StunTransportAddress : IEquatable<StunTransportAddress>
{
    // The address bytes in network order: IPv4 in the top four bytes of _high, IPv6 across both.
    private readonly ulong _high;
    private readonly ulong _low;

    private StunTransportAddress(StunAddressFamily family, ushort port, ulong high, ulong low)
    {
        Family = family;
        Port = port;
        _high = high;
        _low = low;
    }

    public StunAddressFamily Family { get; }

    public ushort Port { get; }

    /// <summary>4 for IPv4, 16 for IPv6; 0 for <c>default</c>.</summary>
    public int AddressLength => Family switch
    {
        StunAddressFamily.IPv4 => 4,
        StunAddressFamily.IPv6 => 16,
        _ => 0,
    };

    /// <summary>Copies the address bytes (network order) and returns how many; 0 when the destination is too short.</summary>
    public int CopyAddressTo(Span<byte> destination)
    {
        int length = AddressLength;
        if (destination.Length < length)
        {
            return 0;
        }

        if (length == 4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)(_high >> 32));
        }
        else if (length == 16)
        {
            BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
            BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _low);
        }

        return length;
    }

    /// <summary>From 4 (IPv4) or 16 (IPv6) address bytes in network order.</summary>
    public static bool TryCreate(ReadOnlySpan<byte> address, ushort port, out StunTransportAddress result)
    {
        if (address.Length == 4)
        {
            result = new(StunAddressFamily.IPv4, port, (ulong)BinaryPrimitives.ReadUInt32BigEndian(address) << 32, 0);
            return true;
        }

        if (address.Length == 16)
        {
            ulong high = BinaryPrimitives.ReadUInt64BigEndian(address);
            ulong low = BinaryPrimitives.ReadUInt64BigEndian(address[8..]);

            // RFC 4291 §2.5.5.2: ::ffff:a.b.c.d is an IPv4 peer seen through an IPv6 socket.
            if (high == 0 && (low >> 32) == 0xFFFF)
            {
                result = new(StunAddressFamily.IPv4, port, low << 32, 0);
                return true;
            }

            result = new(StunAddressFamily.IPv6, port, high, low);
            return true;
        }

        result = default;
        return false;
    }

    /// <summary>From an <see cref="IPAddress"/> without allocating.</summary>
    public static bool TryCreate(IPAddress address, int port, out StunTransportAddress result)
    {
        result = default;
        if (address is null || port is < 0 or > ushort.MaxValue)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        return address.TryWriteBytes(bytes, out int written) && TryCreate(bytes[..written], (ushort)port, out result);
    }

    public static bool TryCreate(IPEndPoint endPoint, out StunTransportAddress result)
    {
        result = default;
        return endPoint is not null && TryCreate(endPoint.Address, endPoint.Port, out result);
    }

    /// <summary>
    /// From a native socket address as <see cref="Socket.ReceiveFrom(Span{byte}, SocketFlags, SocketAddress)"/> fills it:
    /// the port is in bytes 2–3 (network order) of both sockaddr_in and sockaddr_in6, the IPv4 address in bytes 4–7,
    /// the IPv6 address in bytes 8–23 (after the flow label). The family comes from the caller because its encoding
    /// in the first bytes differs by platform.
    /// </summary>
    public static bool TryCreate(AddressFamily family, ReadOnlySpan<byte> sockaddr, out StunTransportAddress result)
    {
        result = default;
        if (family == AddressFamily.InterNetwork && sockaddr.Length >= 8)
        {
            return TryCreate(sockaddr.Slice(4, 4), BinaryPrimitives.ReadUInt16BigEndian(sockaddr[2..]), out result);
        }

        if (family == AddressFamily.InterNetworkV6 && sockaddr.Length >= 24)
        {
            return TryCreate(sockaddr.Slice(8, 16), BinaryPrimitives.ReadUInt16BigEndian(sockaddr[2..]), out result);
        }

        return false;
    }

    /// <summary>From a <see cref="SocketAddress"/> (the allocation-free receive path) without allocating.</summary>
    public static bool TryCreate(SocketAddress socketAddress, out StunTransportAddress result)
    {
        result = default;
        return socketAddress is not null &&
            TryCreate(socketAddress.Family, socketAddress.Buffer.Span[..socketAddress.Size], out result);
    }

    /// <summary>An <see cref="IPEndPoint"/> for logs and cold paths; allocates.</summary>
    public IPEndPoint ToIPEndPoint()
    {
        Span<byte> bytes = stackalloc byte[16];
        int length = CopyAddressTo(bytes);
        if (length == 0)
        {
            throw new InvalidOperationException("A default StunTransportAddress has no address.");
        }

        return new IPEndPoint(new IPAddress(bytes[..length]), Port);
    }

    public bool Equals(StunTransportAddress other) =>
        Family == other.Family && Port == other.Port && _high == other._high && _low == other._low;

    public override bool Equals(object? obj) => obj is StunTransportAddress other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Family, Port, _high, _low);

    public override string ToString() => AddressLength == 0 ? "(none)" : ToIPEndPoint().ToString();

    public static bool operator ==(StunTransportAddress left, StunTransportAddress right) => left.Equals(right);

    public static bool operator !=(StunTransportAddress left, StunTransportAddress right) => !left.Equals(right);
}
