using System.Buffers.Binary;

namespace MediaServer.Codecs.Rtcp;

/// <summary>A sender report (RFC 3550 §6.4.1): the sender's NTP↔RTP clock mapping and counts, plus report blocks.</summary>
public readonly ref struct RtcpSenderReport
{
    private const int SenderInfoLength = 24; // SSRC + NTP (8) + RTP timestamp + packet count + octet count

    private readonly ReadOnlySpan<byte> _body;

    private RtcpSenderReport(ReadOnlySpan<byte> body, int reportCount)
    {
        _body = body;
        ReportCount = reportCount;
    }

    public uint Ssrc => BinaryPrimitives.ReadUInt32BigEndian(_body);

    /// <summary>64-bit NTP timestamp: seconds since 1900 in the high 32 bits, fraction in the low 32.</summary>
    public ulong NtpTimestamp => BinaryPrimitives.ReadUInt64BigEndian(_body[4..]);

    public uint RtpTimestamp => BinaryPrimitives.ReadUInt32BigEndian(_body[12..]);

    public uint PacketCount => BinaryPrimitives.ReadUInt32BigEndian(_body[16..]);

    public uint OctetCount => BinaryPrimitives.ReadUInt32BigEndian(_body[20..]);

    public int ReportCount { get; }

    public RtcpReportBlock GetReportBlock(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, ReportCount);
        return RtcpReportBlock.Read(_body[(SenderInfoLength + (index * RtcpReportBlock.Length))..]);
    }

    /// <summary>Parses the SR at the start of <paramref name="packet"/>; false when it is not a complete SR.</summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out RtcpSenderReport report)
    {
        report = default;
        if (!RtcpPacket.TryRead(packet, RtcpPacketType.SenderReport, -1, out var p))
        {
            return false;
        }

        var body = p.Body;
        if (body.Length < SenderInfoLength + (p.Count * RtcpReportBlock.Length))
        {
            return false;
        }

        report = new RtcpSenderReport(body, p.Count);
        return true;
    }

    /// <summary>Writes an SR with up to 31 report blocks. Returns the bytes written, or 0 when it does not fit.</summary>
    public static int Write(
        Span<byte> destination,
        uint ssrc,
        ulong ntpTimestamp,
        uint rtpTimestamp,
        uint packetCount,
        uint octetCount,
        ReadOnlySpan<RtcpReportBlock> reportBlocks)
    {
        int length = RtcpPacket.HeaderLength + SenderInfoLength + (reportBlocks.Length * RtcpReportBlock.Length);
        if (reportBlocks.Length > 31 || length > destination.Length)
        {
            return 0;
        }

        RtcpPacket.WriteHeader(destination, reportBlocks.Length, RtcpPacketType.SenderReport, length);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], ssrc);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], ntpTimestamp);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], rtpTimestamp);
        BinaryPrimitives.WriteUInt32BigEndian(destination[20..], packetCount);
        BinaryPrimitives.WriteUInt32BigEndian(destination[24..], octetCount);
        int offset = 28;
        foreach (var block in reportBlocks)
        {
            block.Write(destination[offset..]);
            offset += RtcpReportBlock.Length;
        }

        return length;
    }
}
