using System.Buffers.Binary;

namespace MediaServer.Codecs.Rtcp;

/// <summary>
/// A reception report block (RFC 3550 §6.4.1), 24 bytes: what a receiver saw of one source.
/// </summary>
/// <param name="Ssrc">The source this block reports on.</param>
/// <param name="FractionLost">Loss since the previous report, as a fixed-point fraction of 256.</param>
/// <param name="CumulativeLost">Packets lost since the start, a 24-bit signed value (duplicates can make it negative).</param>
/// <param name="ExtendedHighestSequenceNumber">Cycles in the high 16 bits, highest sequence number in the low 16.</param>
/// <param name="Jitter">Interarrival jitter in timestamp units.</param>
/// <param name="LastSenderReport">Middle 32 bits of the NTP timestamp of the last SR received (LSR).</param>
/// <param name="DelaySinceLastSenderReport">Delay since that SR in units of 1/65536 s (DLSR).</param>
public readonly record struct RtcpReportBlock(
    uint Ssrc,
    byte FractionLost,
    int CumulativeLost,
    uint ExtendedHighestSequenceNumber,
    uint Jitter,
    uint LastSenderReport,
    uint DelaySinceLastSenderReport)
{
    public const int Length = 24;

    /// <summary>The cumulative-lost range a 24-bit signed field can carry.</summary>
    public const int MinCumulativeLost = -0x800000;

    public const int MaxCumulativeLost = 0x7FFFFF;

    /// <summary>Reads a block from the first 24 bytes of <paramref name="source"/>, which the caller has length-checked.</summary>
    public static RtcpReportBlock Read(ReadOnlySpan<byte> source)
    {
        int lost = (source[5] << 16) | (source[6] << 8) | source[7];
        lost = (lost << 8) >> 8; // sign-extend the 24-bit field
        return new RtcpReportBlock(
            BinaryPrimitives.ReadUInt32BigEndian(source),
            source[4],
            lost,
            BinaryPrimitives.ReadUInt32BigEndian(source[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[12..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[16..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[20..]));
    }

    /// <summary>
    /// Writes the block into the first 24 bytes of <paramref name="destination"/>. A cumulative loss outside the
    /// 24-bit range is clamped, as RFC 3550 §6.4.1 asks of values that overflow the field.
    /// </summary>
    public void Write(Span<byte> destination)
    {
        int lost = Math.Clamp(CumulativeLost, MinCumulativeLost, MaxCumulativeLost);
        BinaryPrimitives.WriteUInt32BigEndian(destination, Ssrc);
        destination[4] = FractionLost;
        destination[5] = (byte)(lost >> 16);
        destination[6] = (byte)(lost >> 8);
        destination[7] = (byte)lost;
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], ExtendedHighestSequenceNumber);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], Jitter);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], LastSenderReport);
        BinaryPrimitives.WriteUInt32BigEndian(destination[20..], DelaySinceLastSenderReport);
    }
}
