using System.Buffers.Binary;

namespace MediaServer.Codecs.Rtcp;

/// <summary>A receiver report (RFC 3550 §6.4.2): the reporter's SSRC and its report blocks.</summary>
public readonly ref struct RtcpReceiverReport
{
    private readonly ReadOnlySpan<byte> _body;

    private RtcpReceiverReport(ReadOnlySpan<byte> body, int reportCount)
    {
        _body = body;
        ReportCount = reportCount;
    }

    public uint Ssrc => BinaryPrimitives.ReadUInt32BigEndian(_body);

    public int ReportCount { get; }

    public RtcpReportBlock GetReportBlock(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, ReportCount);
        return RtcpReportBlock.Read(_body[(4 + (index * RtcpReportBlock.Length))..]);
    }

    /// <summary>Parses the RR at the start of <paramref name="packet"/>; false when it is not a complete RR.</summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out RtcpReceiverReport report)
    {
        report = default;
        if (!RtcpPacket.TryRead(packet, RtcpPacketType.ReceiverReport, -1, out var p))
        {
            return false;
        }

        var body = p.Body;
        if (body.Length < 4 + (p.Count * RtcpReportBlock.Length))
        {
            return false;
        }

        report = new RtcpReceiverReport(body, p.Count);
        return true;
    }

    /// <summary>Writes an RR with up to 31 report blocks. Returns the bytes written, or 0 when it does not fit.</summary>
    public static int Write(Span<byte> destination, uint ssrc, ReadOnlySpan<RtcpReportBlock> reportBlocks)
    {
        int length = RtcpPacket.HeaderLength + 4 + (reportBlocks.Length * RtcpReportBlock.Length);
        if (reportBlocks.Length > 31 || length > destination.Length)
        {
            return 0;
        }

        RtcpPacket.WriteHeader(destination, reportBlocks.Length, RtcpPacketType.ReceiverReport, length);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], ssrc);
        int offset = 8;
        foreach (var block in reportBlocks)
        {
            block.Write(destination[offset..]);
            offset += RtcpReportBlock.Length;
        }

        return length;
    }
}
