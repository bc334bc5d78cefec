using System.Buffers.Binary;

namespace MediaServer.Testing.Rtp;

/// <summary>A hand-built RTP fixed header (RFC 3550 §5.1), written and read here so the tests do not lean on the product's RTP code.</summary>
public readonly record struct RtpHeader(byte PayloadType, bool Marker, ushort SequenceNumber, uint Timestamp, uint Ssrc)
{
    public const int Size = 12;

    /// <summary>Writes V=2, no padding, no extension, no CSRCs; returns the bytes written, or -1 when it does not fit.</summary>
    public int WriteTo(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            return -1;
        }

        destination[0] = 0x80;
        destination[1] = (byte)((Marker ? 0x80 : 0) | (PayloadType & 0x7F));
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], SequenceNumber);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], Timestamp);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], Ssrc);
        return Size;
    }

    /// <summary>Reads the fixed header and skips CSRCs and a header extension (RFC 3550 §5.3.1) to find the payload.</summary>
    public static bool TryRead(ReadOnlySpan<byte> packet, out RtpHeader header, out int payloadOffset)
    {
        header = default;
        payloadOffset = 0;
        if (packet.Length < Size || (packet[0] >> 6) != 2)
        {
            return false;
        }

        var csrcCount = packet[0] & 0x0F;
        var offset = Size + (4 * csrcCount);
        if ((packet[0] & 0x10) != 0)
        {
            if (packet.Length < offset + 4)
            {
                return false;
            }

            offset += 4 + (4 * BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 2)..]));
        }

        if (packet.Length < offset)
        {
            return false;
        }

        header = new RtpHeader(
            (byte)(packet[1] & 0x7F),
            (packet[1] & 0x80) != 0,
            BinaryPrimitives.ReadUInt16BigEndian(packet[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(packet[4..]),
            BinaryPrimitives.ReadUInt32BigEndian(packet[8..]));
        payloadOffset = offset;
        return true;
    }

    /// <summary>RFC 5761 §4: second byte 192–223 (payload type 64–95 with the marker bit) is RTCP, not RTP.</summary>
    public static bool LooksLikeRtcp(ReadOnlySpan<byte> packet) => packet.Length >= 2 && packet[1] is >= 192 and <= 223;
}
