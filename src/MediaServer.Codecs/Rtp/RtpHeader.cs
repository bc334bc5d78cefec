using System.Buffers.Binary;

namespace MediaServer.Codecs.Rtp;

/// <summary>
/// Reads and rewrites fixed-header fields of an RTP packet in place (RFC 3550 §5.1), as the relay does when it forwards
/// a packet under its own SSRC, sequence space or payload type. The packet must already have passed
/// <see cref="RtpPacket.TryParse"/>; a span shorter than 12 bytes is a caller bug and throws.
/// </summary>
public static class RtpHeader
{
    public static bool GetMarker(ReadOnlySpan<byte> packet) => (packet[1] & 0x80) != 0;

    public static void SetMarker(Span<byte> packet, bool marker) =>
        packet[1] = (byte)((packet[1] & 0x7F) | (marker ? 0x80 : 0));

    public static byte GetPayloadType(ReadOnlySpan<byte> packet) => (byte)(packet[1] & 0x7F);

    /// <summary>Rewrites the 7-bit payload type and leaves the marker bit, which shares its byte, alone.</summary>
    public static void SetPayloadType(Span<byte> packet, byte payloadType)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payloadType, (byte)127);
        packet[1] = (byte)((packet[1] & 0x80) | payloadType);
    }

    public static ushort GetSequenceNumber(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);

    public static void SetSequenceNumber(Span<byte> packet, ushort sequenceNumber) =>
        BinaryPrimitives.WriteUInt16BigEndian(packet[2..], sequenceNumber);

    public static uint GetTimestamp(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt32BigEndian(packet[4..]);

    public static void SetTimestamp(Span<byte> packet, uint timestamp) =>
        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], timestamp);

    public static uint GetSsrc(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt32BigEndian(packet[8..]);

    public static void SetSsrc(Span<byte> packet, uint ssrc) => BinaryPrimitives.WriteUInt32BigEndian(packet[8..], ssrc);
}
