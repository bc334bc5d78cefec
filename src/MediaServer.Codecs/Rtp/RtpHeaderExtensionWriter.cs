namespace MediaServer.Codecs.Rtp;

/// <summary>Encodes single RFC 8285 header extension elements; concatenate them and hand them to <see cref="RtpPacketWriter"/>.</summary>
public static class RtpHeaderExtensionWriter
{
    /// <summary>
    /// RFC 8285 §4.2: one byte of ID (1..14) and length-minus-one (data of 1..16 bytes), then the data.
    /// Returns the bytes written, or 0 when the element cannot be encoded or does not fit.
    /// </summary>
    public static int WriteOneByte(Span<byte> destination, int id, ReadOnlySpan<byte> data)
    {
        if (id is < 1 or > 14 || data.Length is < 1 or > 16 || destination.Length < 1 + data.Length)
        {
            return 0;
        }

        destination[0] = (byte)((id << 4) | (data.Length - 1));
        data.CopyTo(destination[1..]);
        return 1 + data.Length;
    }

    /// <summary>
    /// RFC 8285 §4.3: a byte of ID (1..255), a byte of length (0..255), then the data.
    /// Returns the bytes written, or 0 when the element cannot be encoded or does not fit.
    /// </summary>
    public static int WriteTwoByte(Span<byte> destination, int id, ReadOnlySpan<byte> data)
    {
        if (id is < 1 or > 255 || data.Length > 255 || destination.Length < 2 + data.Length)
        {
            return 0;
        }

        destination[0] = (byte)id;
        destination[1] = (byte)data.Length;
        data.CopyTo(destination[2..]);
        return 2 + data.Length;
    }
}
