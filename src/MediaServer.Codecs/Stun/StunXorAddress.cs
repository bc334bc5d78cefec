using System.Buffers.Binary;

namespace MediaServer.Codecs.Stun;

/// <summary>
/// RFC 8489 §14.2: X-Port is the port XOR the cookie's top 16 bits; an IPv4 X-Address is the address XOR the cookie;
/// an IPv6 X-Address is the address XOR the cookie followed by the transaction id.
/// </summary>
internal static class StunXorAddress
{
    public const int IPv4ValueLength = 8;
    public const int IPv6ValueLength = 20;

    public static int ValueLength(in StunTransportAddress address) => address.Family switch
    {
        StunAddressFamily.IPv4 => IPv4ValueLength,
        StunAddressFamily.IPv6 => IPv6ValueLength,
        _ => 0,
    };

    public static bool TryDecode(ReadOnlySpan<byte> value, ReadOnlySpan<byte> transactionId, out StunTransportAddress address)
    {
        address = default;
        if (value.Length < 4)
        {
            return false;
        }

        // value[0] is reserved: RFC 8489 §14.1 says to ignore it on receipt.
        var family = (StunAddressFamily)value[1];
        ushort port = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(value[2..]) ^ (StunMessage.MagicCookie >> 16));
        Span<byte> bytes = stackalloc byte[16];
        if (family == StunAddressFamily.IPv4 && value.Length == IPv4ValueLength)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes, BinaryPrimitives.ReadUInt32BigEndian(value[4..]) ^ StunMessage.MagicCookie);
            return StunTransportAddress.TryCreate(bytes[..4], port, out address) && address.Family == StunAddressFamily.IPv4;
        }

        if (family == StunAddressFamily.IPv6 && value.Length == IPv6ValueLength)
        {
            Xor16(value.Slice(4, 16), transactionId, bytes);

            // An IPv4-mapped value comes back as IPv4, like every StunTransportAddress.
            return StunTransportAddress.TryCreate(bytes, port, out address);
        }

        return false;
    }

    public static void Encode(in StunTransportAddress address, ReadOnlySpan<byte> transactionId, Span<byte> value)
    {
        value[0] = 0;
        value[1] = (byte)address.Family;
        BinaryPrimitives.WriteUInt16BigEndian(value[2..], (ushort)(address.Port ^ (StunMessage.MagicCookie >> 16)));
        Span<byte> bytes = stackalloc byte[16];
        address.CopyAddressTo(bytes);
        if (address.Family == StunAddressFamily.IPv4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(value[4..], BinaryPrimitives.ReadUInt32BigEndian(bytes) ^ StunMessage.MagicCookie);
        }
        else
        {
            Xor16(bytes, transactionId, value.Slice(4, 16));
        }
    }

    private static void Xor16(ReadOnlySpan<byte> source, ReadOnlySpan<byte> transactionId, Span<byte> destination)
    {
        uint word0 = BinaryPrimitives.ReadUInt32BigEndian(source) ^ StunMessage.MagicCookie;
        for (int i = 4; i < 16; i++)
        {
            destination[i] = (byte)(source[i] ^ transactionId[i - 4]);
        }

        BinaryPrimitives.WriteUInt32BigEndian(destination, word0);
    }
}
