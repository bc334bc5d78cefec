using System.Buffers.Binary;

namespace MediaServer.Codecs.Rtcp;

/// <summary>
/// Receiver estimated maximum bitrate (draft-alvestrand-rmcat-remb-03 §2.2): PSFB FMT 15 whose FCI starts with the
/// ASCII identifier "REMB", then the number of SSRCs, a bitrate as a 6-bit exponent and an 18-bit mantissa
/// (bitrate = mantissa · 2^exp bits per second), and the SSRCs the estimate applies to.
/// </summary>
public readonly ref struct RtcpRemb
{
    private const uint Identifier = 0x52454D42; // "REMB"
    private const int FixedFciLength = 8;
    private const int MaxMantissa = (1 << 18) - 1;

    private readonly ReadOnlySpan<byte> _ssrcs;

    private RtcpRemb(uint senderSsrc, uint mediaSsrc, int exponent, int mantissa, ReadOnlySpan<byte> ssrcs)
    {
        SenderSsrc = senderSsrc;
        MediaSsrc = mediaSsrc;
        Exponent = exponent;
        Mantissa = mantissa;
        _ssrcs = ssrcs;
    }

    public uint SenderSsrc { get; }

    public uint MediaSsrc { get; }

    public int Exponent { get; }

    public int Mantissa { get; }

    /// <summary>Bits per second: mantissa · 2^exponent (up to 2^18 · 2^63, so it saturates at <see cref="ulong.MaxValue"/>).</summary>
    public ulong Bitrate => Exponent > 46 && Mantissa != 0 && (ulong)Mantissa > ulong.MaxValue >> Exponent
        ? ulong.MaxValue
        : (ulong)Mantissa << Exponent;

    public int SsrcCount => _ssrcs.Length / 4;

    public uint GetSsrc(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, SsrcCount);
        return BinaryPrimitives.ReadUInt32BigEndian(_ssrcs[(4 * index)..]);
    }

    /// <summary>Parses a REMB; false for other application-layer feedback or when the SSRC list runs past the packet.</summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out RtcpRemb remb)
    {
        remb = default;
        if (!RtcpFeedback.TryRead(
                packet, RtcpPacketType.PayloadFeedback, RtcpFeedbackFormat.ApplicationLayer, out uint sender, out uint media, out var fci)
            || fci.Length < FixedFciLength
            || BinaryPrimitives.ReadUInt32BigEndian(fci) != Identifier)
        {
            return false;
        }

        int count = fci[4];
        int exponent = fci[5] >> 2;
        int mantissa = ((fci[5] & 0x03) << 16) | (fci[6] << 8) | fci[7];
        if (FixedFciLength + (4 * count) > fci.Length)
        {
            return false;
        }

        remb = new RtcpRemb(sender, media, exponent, mantissa, fci.Slice(FixedFciLength, 4 * count));
        return true;
    }

    /// <summary>
    /// The bitrate a REMB can carry for <paramref name="bitrate"/>: exact below 2^18, otherwise rounded down to the
    /// 18 significant bits the mantissa holds.
    /// </summary>
    public static (int Exponent, int Mantissa) Encode(ulong bitrate)
    {
        int exponent = 0;
        while (bitrate > MaxMantissa)
        {
            bitrate >>= 1;
            exponent++;
        }

        return (exponent, (int)bitrate);
    }

    /// <summary>Writes a REMB for up to 255 SSRCs. Returns the bytes written, or 0 when it does not fit.</summary>
    public static int Write(Span<byte> destination, uint senderSsrc, ulong bitrate, ReadOnlySpan<uint> ssrcs)
    {
        int length = RtcpFeedback.FixedLength + FixedFciLength + (4 * ssrcs.Length);
        if (ssrcs.Length > 255 || length > destination.Length)
        {
            return 0;
        }

        // The draft sets the media SSRC to 0: the SSRC list says whom the estimate is for.
        RtcpFeedback.WriteHeader(destination, RtcpFeedbackFormat.ApplicationLayer, RtcpPacketType.PayloadFeedback, length, senderSsrc, 0);
        var (exponent, mantissa) = Encode(bitrate);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], Identifier);
        destination[16] = (byte)ssrcs.Length;
        destination[17] = (byte)((exponent << 2) | (mantissa >> 16));
        destination[18] = (byte)(mantissa >> 8);
        destination[19] = (byte)mantissa;
        int offset = 20;
        foreach (uint ssrc in ssrcs)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[offset..], ssrc);
            offset += 4;
        }

        return length;
    }
}
