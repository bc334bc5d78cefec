using MediaServer.Codecs.Rtcp;
using MediaServer.Codecs.Tests.TestData;

namespace MediaServer.Codecs.Tests.Rtcp;

public class RtcpReportTests
{
    [Theory]
    [InlineData("vp8.hex", 1111u)]
    [InlineData("h264.hex", 3333u)]
    [InlineData("opus.hex", 2222u)]
    public void Sender_report_from_ffmpeg_carries_the_ssrc_it_was_told(string file, uint ssrc)
    {
        byte[] datagram = Hex.Capture(file, "rtcp-first");

        Assert.True(RtcpSenderReport.TryParse(datagram, out var sr));
        Assert.Equal(ssrc, sr.Ssrc);
        Assert.Equal(0, sr.ReportCount);
        Assert.Equal(0u, sr.PacketCount); // FFmpeg's first SR goes out before any RTP
        Assert.Equal(0u, sr.OctetCount);
        // An NTP time in this century: seconds since 1900 past 2000-01-01 (3155673600).
        Assert.True(sr.NtpTimestamp >> 32 > 3155673600u);
    }

    [Fact]
    public void A_later_ffmpeg_sender_report_maps_ntp_to_the_rtp_clock_of_the_packets_it_counted()
    {
        var capture = Hex.ReadCapture("opus.hex");
        Assert.True(RtcpSenderReport.TryParse(capture["rtcp-first"], out var first));
        Assert.True(RtcpSenderReport.TryParse(capture["rtcp-last"], out var last));

        Assert.True(last.PacketCount > 200); // ~5 s of 20 ms Opus packets
        Assert.True(last.OctetCount > last.PacketCount);
        double ntpSeconds = (last.NtpTimestamp - first.NtpTimestamp) / 4294967296.0;
        double rtpSeconds = (last.RtpTimestamp - first.RtpTimestamp) / 48000.0;
        Assert.InRange(ntpSeconds, 4.5, 6.5);
        Assert.InRange(rtpSeconds - ntpSeconds, -0.1, 0.1);
    }

    [Fact]
    public void Report_block_reads_every_field_from_known_bytes()
    {
        // RR from SSRC 0x01020304 with one block (RFC 3550 §6.4.2 layout).
        byte[] packet = Hex.Parse(
            "81C90007 01020304" +
            "AABBCCDD 40 FFFFFE 0002FFF0 00000123 A1B2C3D4 00018000");

        Assert.True(RtcpReceiverReport.TryParse(packet, out var rr));
        Assert.Equal(0x01020304u, rr.Ssrc);
        Assert.Equal(1, rr.ReportCount);
        var block = rr.GetReportBlock(0);
        Assert.Equal(0xAABBCCDDu, block.Ssrc);
        Assert.Equal(0x40, block.FractionLost); // 25 %
        Assert.Equal(-2, block.CumulativeLost); // 24-bit two's complement
        Assert.Equal(0x0002FFF0u, block.ExtendedHighestSequenceNumber);
        Assert.Equal(0x123u, block.Jitter);
        Assert.Equal(0xA1B2C3D4u, block.LastSenderReport);
        Assert.Equal(0x18000u, block.DelaySinceLastSenderReport); // 1.5 s in 1/65536 s
        Assert.Throws<ArgumentOutOfRangeException>(() => RtcpReceiverReport.TryParse(packet, out var r) ? r.GetReportBlock(1) : default);
    }

    [Theory]
    [InlineData("81C90001 01020304", "one block announced, none present")]
    [InlineData("80C80005 01020304 0000000000000000 00000000 00000000", "sender info cut short")]
    [InlineData("80C90001 01020304", "an RR is not an SR")]
    public void Sender_report_parser_rejects_what_is_not_a_complete_sr(string hex, string why)
    {
        Assert.False(RtcpSenderReport.TryParse(Hex.Parse(hex), out _), why);
    }

    [Fact]
    public void Receiver_report_parser_rejects_a_report_count_beyond_the_length()
    {
        Assert.False(RtcpReceiverReport.TryParse(Hex.Parse("82C90007 01020304" + new string('0', 48)), out _));
        Assert.False(RtcpReceiverReport.TryParse(Hex.Parse("80C80006 01020304" + new string('0', 40)), out _));
    }

    private static RtcpReportBlock RandomBlock(Random random) => new(
        (uint)random.NextInt64(1L << 32),
        (byte)random.Next(256),
        random.Next(RtcpReportBlock.MinCumulativeLost, RtcpReportBlock.MaxCumulativeLost + 1),
        (uint)random.NextInt64(1L << 32),
        (uint)random.NextInt64(1L << 32),
        (uint)random.NextInt64(1L << 32),
        (uint)random.NextInt64(1L << 32));

    [Fact]
    public void Sender_and_receiver_reports_round_trip()
    {
        var random = new Random(6401);
        var buffer = new byte[1024];
        for (int iteration = 0; iteration < 2000; iteration++)
        {
            var blocks = new RtcpReportBlock[random.Next(32)];
            for (int i = 0; i < blocks.Length; i++)
            {
                blocks[i] = RandomBlock(random);
            }

            uint ssrc = (uint)random.NextInt64(1L << 32);
            ulong ntp = (ulong)random.NextInt64() * 2;
            uint rtp = (uint)random.NextInt64(1L << 32);
            uint packets = (uint)random.NextInt64(1L << 32);
            uint octets = (uint)random.NextInt64(1L << 32);

            int written = RtcpSenderReport.Write(buffer, ssrc, ntp, rtp, packets, octets, blocks);
            Assert.Equal(28 + (24 * blocks.Length), written);
            Assert.True(RtcpCompoundReader.IsWellFormed(buffer.AsSpan(0, written)));
            Assert.True(RtcpSenderReport.TryParse(buffer.AsSpan(0, written), out var sr));
            Assert.Equal((ssrc, ntp, rtp, packets, octets), (sr.Ssrc, sr.NtpTimestamp, sr.RtpTimestamp, sr.PacketCount, sr.OctetCount));
            Assert.Equal(blocks.Length, sr.ReportCount);
            for (int i = 0; i < blocks.Length; i++)
            {
                Assert.Equal(blocks[i], sr.GetReportBlock(i));
            }

            written = RtcpReceiverReport.Write(buffer, ssrc, blocks);
            Assert.Equal(8 + (24 * blocks.Length), written);
            Assert.True(RtcpReceiverReport.TryParse(buffer.AsSpan(0, written), out var rr));
            Assert.Equal(ssrc, rr.Ssrc);
            Assert.Equal(blocks.Length, rr.ReportCount);
            for (int i = 0; i < blocks.Length; i++)
            {
                Assert.Equal(blocks[i], rr.GetReportBlock(i));
            }
        }
    }

    [Fact]
    public void Cumulative_loss_beyond_24_bits_is_clamped()
    {
        var buffer = new byte[64];
        int n = RtcpReceiverReport.Write(buffer, 1, [new RtcpReportBlock(2, 0, int.MaxValue, 0, 0, 0, 0)]);
        Assert.True(RtcpReceiverReport.TryParse(buffer.AsSpan(0, n), out var rr));
        Assert.Equal(RtcpReportBlock.MaxCumulativeLost, rr.GetReportBlock(0).CumulativeLost);
        n = RtcpReceiverReport.Write(buffer, 1, [new RtcpReportBlock(2, 0, int.MinValue, 0, 0, 0, 0)]);
        Assert.True(RtcpReceiverReport.TryParse(buffer.AsSpan(0, n), out rr));
        Assert.Equal(RtcpReportBlock.MinCumulativeLost, rr.GetReportBlock(0).CumulativeLost);
    }

    [Fact]
    public void Writers_return_zero_when_the_report_does_not_fit_or_has_too_many_blocks()
    {
        var block = new RtcpReportBlock(1, 2, 3, 4, 5, 6, 7);
        Assert.Equal(0, RtcpSenderReport.Write(new byte[51], 1, 2, 3, 4, 5, [block]));
        Assert.Equal(52, RtcpSenderReport.Write(new byte[52], 1, 2, 3, 4, 5, [block]));
        Assert.Equal(0, RtcpReceiverReport.Write(new byte[31], 1, [block]));
        Assert.Equal(0, RtcpReceiverReport.Write(new byte[2048], 1, new RtcpReportBlock[32]));
    }
}
