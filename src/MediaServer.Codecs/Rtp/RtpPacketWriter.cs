using System.Buffers.Binary;

namespace MediaServer.Codecs.Rtp;

/// <summary>Writes RTP packets (RFC 3550 §5.1) into a caller's buffer.</summary>
public static class RtpPacketWriter
{
    /// <summary>Writes a packet with no CSRCs, no header extension and no padding.</summary>
    public static bool TryWrite(Span<byte> destination, in RtpHeaderFields header, ReadOnlySpan<byte> payload, out int written) =>
        TryWrite(destination, header, default, 0, default, payload, 0, out written);

    /// <summary>
    /// Writes a packet. <paramref name="extensionElements"/>, when not empty, are header extension elements already
    /// encoded (see <see cref="RtpHeaderExtensionWriter"/>) under <paramref name="extensionProfile"/>; they are padded
    /// with zero bytes to a 32-bit boundary. <paramref name="paddingLength"/> (0..255) appends RFC 3550 padding.
    /// Returns false, writing nothing useful, when the packet does not fit or the arguments cannot be encoded.
    /// </summary>
    public static bool TryWrite(
        Span<byte> destination,
        in RtpHeaderFields header,
        ReadOnlySpan<uint> csrcs,
        ushort extensionProfile,
        ReadOnlySpan<byte> extensionElements,
        ReadOnlySpan<byte> payload,
        int paddingLength,
        out int written)
    {
        written = 0;
        if (header.PayloadType > 127 || csrcs.Length > 15 || paddingLength < 0 || paddingLength > 255)
        {
            return false;
        }

        bool hasExtension = !extensionElements.IsEmpty;
        int extensionWords = (extensionElements.Length + 3) / 4;
        if (extensionWords > ushort.MaxValue)
        {
            return false;
        }

        int headerLength = RtpPacket.FixedHeaderLength + (4 * csrcs.Length) + (hasExtension ? 4 + (4 * extensionWords) : 0);
        int total = headerLength + payload.Length + paddingLength;
        if (total > destination.Length)
        {
            return false;
        }

        destination[0] = (byte)((RtpPacket.RtpVersion << 6) | (paddingLength > 0 ? 0x20 : 0) | (hasExtension ? 0x10 : 0) | csrcs.Length);
        destination[1] = (byte)((header.Marker ? 0x80 : 0) | header.PayloadType);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], header.SequenceNumber);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], header.Timestamp);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], header.Ssrc);
        int offset = RtpPacket.FixedHeaderLength;
        foreach (uint csrc in csrcs)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[offset..], csrc);
            offset += 4;
        }

        if (hasExtension)
        {
            // RFC 3550 §5.3.1: profile, then the length in 32-bit words not counting this word.
            BinaryPrimitives.WriteUInt16BigEndian(destination[offset..], extensionProfile);
            BinaryPrimitives.WriteUInt16BigEndian(destination[(offset + 2)..], (ushort)extensionWords);
            offset += 4;
            extensionElements.CopyTo(destination[offset..]);
            destination.Slice(offset + extensionElements.Length, (4 * extensionWords) - extensionElements.Length).Clear();
            offset += 4 * extensionWords;
        }

        payload.CopyTo(destination[offset..]);
        offset += payload.Length;
        if (paddingLength > 0)
        {
            destination.Slice(offset, paddingLength - 1).Clear();
            destination[offset + paddingLength - 1] = (byte)paddingLength;
            offset += paddingLength;
        }

        written = offset;
        return true;
    }
}
