namespace MediaServer.Codecs.Payload;

/// <summary>Looks inside VP8 RTP payloads (RFC 7741) as far as the relay needs: frame starts and keyframes.</summary>
public static class Vp8Payload
{
    /// <summary>
    /// Parses the payload descriptor (RFC 7741 §4.2). False when the payload ends inside the descriptor or
    /// carries no VP8 data after it.
    /// </summary>
    public static bool TryParseDescriptor(ReadOnlySpan<byte> payload, out Vp8PayloadDescriptor descriptor)
    {
        descriptor = default;
        if (payload.IsEmpty)
        {
            return false;
        }

        byte first = payload[0];
        int offset = 1;
        byte extension = 0;
        int pictureId = -1;
        bool longPictureId = false;
        byte tl0PicIdx = 0;
        byte tidYKeyIdx = 0;
        if ((first & 0x80) != 0)
        {
            if (offset >= payload.Length)
            {
                return false;
            }

            extension = payload[offset++];
            if ((extension & 0x80) != 0)
            {
                if (offset >= payload.Length)
                {
                    return false;
                }

                // M bit: a 15-bit PictureID spans two octets, a 7-bit one fits in one.
                longPictureId = (payload[offset] & 0x80) != 0;
                if (longPictureId)
                {
                    if (offset + 1 >= payload.Length)
                    {
                        return false;
                    }

                    pictureId = ((payload[offset] & 0x7F) << 8) | payload[offset + 1];
                    offset += 2;
                }
                else
                {
                    pictureId = payload[offset++] & 0x7F;
                }
            }

            if ((extension & 0x40) != 0)
            {
                if (offset >= payload.Length)
                {
                    return false;
                }

                tl0PicIdx = payload[offset++];
            }

            // T and K share one octet: TID|Y|KEYIDX.
            if ((extension & 0x30) != 0)
            {
                if (offset >= payload.Length)
                {
                    return false;
                }

                tidYKeyIdx = payload[offset++];
            }
        }

        if (offset >= payload.Length)
        {
            return false;
        }

        descriptor = new Vp8PayloadDescriptor(offset, first, extension, pictureId, longPictureId, tl0PicIdx, tidYKeyIdx);
        return true;
    }

    /// <summary>
    /// True when the packet starts a frame: the start of partition 0 (S=1, PID=0, RFC 7741 §4.2), which carries the
    /// VP8 payload header.
    /// </summary>
    public static bool IsStartOfFrame(ReadOnlySpan<byte> payload) =>
        TryParseDescriptor(payload, out var d) && d.IsStartOfPartition && d.PartitionIndex == 0;

    /// <summary>
    /// True when the packet starts a keyframe: the start of partition 0 whose 3-byte VP8 payload header
    /// (RFC 7741 §4.3) has the inverse keyframe flag P = 0. Continuation packets of a keyframe are false.
    /// </summary>
    public static bool IsKeyframe(ReadOnlySpan<byte> payload)
    {
        if (!TryParseDescriptor(payload, out var d) || !d.IsStartOfPartition || d.PartitionIndex != 0)
        {
            return false;
        }

        var header = payload[d.Length..];
        return header.Length >= 3 && (header[0] & 0x01) == 0;
    }
}
