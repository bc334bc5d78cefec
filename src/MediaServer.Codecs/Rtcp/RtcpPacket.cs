using System.Buffers.Binary;

namespace MediaServer.Codecs.Rtcp;

/// <summary>
/// One RTCP packet inside a compound datagram, as framed by its common header (RFC 3550 §6.4.1):
/// V=2, P, a 5-bit count (FMT in feedback packets), the packet type, and a length in 32-bit words minus one.
/// </summary>
public readonly ref struct RtcpPacket
{
    public const int HeaderLength = 4;

    private RtcpPacket(ReadOnlySpan<byte> span, int paddingLength)
    {
        Span = span;
        PaddingLength = paddingLength;
    }

    /// <summary>The whole packet: header, body and padding.</summary>
    public ReadOnlySpan<byte> Span { get; }

    /// <summary>Padding at the end of the packet, count byte included; 0 without the P bit.</summary>
    public int PaddingLength { get; }

    public int Version => Span[0] >> 6;

    public bool HasPadding => (Span[0] & 0x20) != 0;

    /// <summary>The 5-bit count field: report/source/chunk count, APP subtype, or FMT in feedback packets.</summary>
    public int Count => Span[0] & 0x1F;

    /// <summary>Alias of <see cref="Count"/> for feedback packets (RFC 4585 §6.1).</summary>
    public int Format => Count;

    public RtcpPacketType PacketType => (RtcpPacketType)Span[1];

    /// <summary>Length of the packet in bytes, header and padding included.</summary>
    public int Length => Span.Length;

    /// <summary>What follows the 4-byte header, padding excluded.</summary>
    public ReadOnlySpan<byte> Body => Span[HeaderLength..^PaddingLength];

    /// <summary>
    /// Frames the RTCP packet at the start of <paramref name="data"/>. Fails on a version other than 2, a length
    /// field that runs past <paramref name="data"/>, or a padding count that is zero or longer than the body.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> data, out RtcpPacket packet)
    {
        packet = default;
        if (data.Length < HeaderLength || data[0] >> 6 != 2)
        {
            return false;
        }

        int length = 4 * (BinaryPrimitives.ReadUInt16BigEndian(data[2..]) + 1);
        if (length > data.Length)
        {
            return false;
        }

        int padding = 0;
        if ((data[0] & 0x20) != 0)
        {
            // RFC 3550 §6.4.1: the last octet counts the padding, itself included.
            padding = data[length - 1];
            if (padding == 0 || padding > length - HeaderLength)
            {
                return false;
            }
        }

        packet = new RtcpPacket(data[..length], padding);
        return true;
    }

    /// <summary>Reads a packet and checks its type (and, when <paramref name="count"/> ≥ 0, its count/FMT).</summary>
    internal static bool TryRead(ReadOnlySpan<byte> data, RtcpPacketType type, int count, out RtcpPacket packet) =>
        TryRead(data, out packet) && packet.PacketType == type && (count < 0 || packet.Count == count);

    /// <summary>Writes a common header with P=0 for a packet of <paramref name="length"/> bytes (a multiple of 4).</summary>
    internal static void WriteHeader(Span<byte> destination, int count, RtcpPacketType type, int length)
    {
        destination[0] = (byte)(0x80 | count);
        destination[1] = (byte)type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)((length / 4) - 1));
    }
}
