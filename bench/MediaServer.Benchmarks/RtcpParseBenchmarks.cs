using BenchmarkDotNet.Attributes;
using MediaServer.Codecs.Rtcp;

namespace MediaServer.Benchmarks;

/// <summary>
/// Walking the RTCP a relay reads (RFC 3550 §6.1 compound packets, RFC 4585 feedback): each benchmark frames the datagram with
/// <see cref="RtcpCompoundReader"/> and then reads every field a router would act on.
/// </summary>
[MemoryDiagnoser]
public class RtcpParseBenchmarks
{
    private byte[] _senderReportWithSdes = [];
    private byte[] _receiverReport = [];
    private byte[] _nack = [];
    private byte[] _pli = [];

    [GlobalSetup]
    public void Setup()
    {
        var buffer = new byte[1500];
        var block = new RtcpReportBlock(0x55667788, FractionLost: 12, CumulativeLost: 340, ExtendedHighestSequenceNumber: 0x0001_2345,
            Jitter: 87, LastSenderReport: 0x1234_5678, DelaySinceLastSenderReport: 0x0000_8000);

        // What an FFmpeg or browser sender emits every few seconds: SR (one report block) + SDES CNAME.
        var length = RtcpSenderReport.Write(buffer, 0x11223344, 0xE5A1_B2C3_D4E5_F607, 123_456, 5_000, 6_000_000, [block]);
        length += RtcpSdes.WriteCname(buffer.AsSpan(length), 0x11223344, "{0f4e8a32-9bc1-4d0e-8f55-2d1e0a7c6b11}"u8);
        _senderReportWithSdes = buffer.AsSpan(0, length).ToArray();

        length = RtcpReceiverReport.Write(buffer, 0x99AABBCC, [block, block with { Ssrc = 0x55667789 }]);
        _receiverReport = buffer.AsSpan(0, length).ToArray();

        // A burst loss of 20 packets and two isolated ones: three FCI entries.
        var lost = new List<ushort>();
        for (ushort s = 1000; s < 1020; s++)
        {
            lost.Add(s);
        }
        lost.Add(1100);
        lost.Add(1200);
        length = RtcpGenericNack.Write(buffer, 0x99AABBCC, 0x11223344, lost.ToArray());
        _nack = buffer.AsSpan(0, length).ToArray();

        length = RtcpPli.Write(buffer, 0x99AABBCC, 0x11223344);
        _pli = buffer.AsSpan(0, length).ToArray();

        if (SenderReportWithSdes() <= 0 || ReceiverReport() <= 0 || GenericNack() != 22 + 0x11223344L || Pli() <= 0)
        {
            throw new InvalidOperationException("A benchmark input does not parse as intended.");
        }
    }

    [Benchmark]
    public long SenderReportWithSdes()
    {
        long sum = 0;
        var reader = new RtcpCompoundReader(_senderReportWithSdes);
        while (reader.MoveNext())
        {
            var packet = reader.Current;
            if (packet.PacketType == RtcpPacketType.SenderReport && RtcpSenderReport.TryParse(packet.Span, out var sr))
            {
                sum += (long)(sr.NtpTimestamp >> 32) + sr.RtpTimestamp + sr.PacketCount;
                for (var i = 0; i < sr.ReportCount; i++)
                {
                    sum += sr.GetReportBlock(i).Jitter;
                }
            }
            else if (packet.PacketType == RtcpPacketType.SourceDescription && RtcpSdes.TryParse(packet.Span, out var sdes))
            {
                while (sdes.MoveNext())
                {
                    sum += sdes.Current.Value.Length;
                }
            }
        }
        return reader.Error ? -1 : sum;
    }

    [Benchmark]
    public long ReceiverReport()
    {
        long sum = 0;
        var reader = new RtcpCompoundReader(_receiverReport);
        while (reader.MoveNext())
        {
            if (RtcpReceiverReport.TryParse(reader.Current.Span, out var rr))
            {
                for (var i = 0; i < rr.ReportCount; i++)
                {
                    var block = rr.GetReportBlock(i);
                    sum += block.FractionLost + block.CumulativeLost + block.Jitter;
                }
            }
        }
        return reader.Error ? -1 : sum;
    }

    [Benchmark]
    public long GenericNack()
    {
        long sum = 0;
        var reader = new RtcpCompoundReader(_nack);
        while (reader.MoveNext())
        {
            if (RtcpGenericNack.TryParse(reader.Current.Span, out var nack))
            {
                sum += nack.MediaSsrc;
                var lost = nack.GetLostSequenceNumbers();
                while (lost.MoveNext())
                {
                    sum++;
                }
            }
        }
        return reader.Error ? -1 : sum;
    }

    [Benchmark]
    public long Pli()
    {
        long sum = 0;
        var reader = new RtcpCompoundReader(_pli);
        while (reader.MoveNext())
        {
            if (RtcpPli.TryParse(reader.Current.Span, out var pli))
            {
                sum += pli.MediaSsrc;
            }
        }
        return reader.Error ? -1 : sum;
    }
}
