using System.Buffers.Binary;

namespace MediaServer.Codecs.Rtcp;

/// <summary>The common layout of feedback messages (RFC 4585 §6.1): header, sender SSRC, media SSRC, FCI.</summary>
internal static class RtcpFeedback
{
    public const int FixedLength = 12;

    public static bool TryRead(
        ReadOnlySpan<byte> packet,
        RtcpPacketType type,
        int format,
        out uint senderSsrc,
        out uint mediaSsrc,
        out ReadOnlySpan<byte> fci)
    {
        senderSsrc = 0;
        mediaSsrc = 0;
        fci = default;
        if (!RtcpPacket.TryRead(packet, type, format, out var p) || p.Body.Length < 8)
        {
            return false;
        }

        senderSsrc = BinaryPrimitives.ReadUInt32BigEndian(p.Body);
        mediaSsrc = BinaryPrimitives.ReadUInt32BigEndian(p.Body[4..]);
        fci = p.Body[8..];
        return true;
    }

    public static void WriteHeader(Span<byte> destination, int format, RtcpPacketType type, int length, uint senderSsrc, uint mediaSsrc)
    {
        RtcpPacket.WriteHeader(destination, format, type, length);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], senderSsrc);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], mediaSsrc);
    }
}
