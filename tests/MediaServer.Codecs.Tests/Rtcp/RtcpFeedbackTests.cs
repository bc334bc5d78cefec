using MediaServer.Codecs.Rtcp;
using MediaServer.Codecs.Tests.TestData;

namespace MediaServer.Codecs.Tests.Rtcp;

public class RtcpFeedbackTests
{
    private static List<ushort> Lost(ReadOnlySpan<byte> packet)
    {
        Assert.True(RtcpGenericNack.TryParse(packet, out var nack));
        var list = new List<ushort>();
        foreach (ushort seq in nack.GetLostSequenceNumbers())
        {
            list.Add(seq);
        }

        return list;
    }

    [Fact]
    public void Nack_expands_pid_and_blp_across_the_sequence_wrap()
    {
        // RFC 4585 §6.2.1: PID 0xFFFF, BLP bits 0 and 15 ⇒ 0xFFFF, 0x0000 and 0x000F lost.
        byte[] packet = Hex.Parse("81CD0003 00000001 00000002 FFFF8001");

        Assert.True(RtcpGenericNack.TryParse(packet, out var nack));
        Assert.Equal(1u, nack.SenderSsrc);
        Assert.Equal(2u, nack.MediaSsrc);
        Assert.Equal(1, nack.EntryCount);
        Assert.Equal(((ushort)0xFFFF, (ushort)0x8001), nack.GetEntry(0));
        Assert.Equal([0xFFFF, 0x0000, 0x000F], Lost(packet));
    }

    [Fact]
    public void Nack_writer_packs_following_losses_into_the_bitmask()
    {
        var buffer = new byte[64];
        int written = RtcpGenericNack.Write(buffer, 1, 2, [100, 101, 103, 116, 117, 200]);

        // 100 takes 101, 103 and 116 (distance 16) into its BLP; 117 is 17 away and starts an entry; 200 another.
        Assert.Equal(Hex.Parse("81CD0005 00000001 00000002 0064 8005 0075 0000 00C8 0000"), buffer[..written]);
    }

    [Fact]
    public void Nack_round_trips_random_ascending_loss_lists()
    {
        var random = new Random(4585);
        var buffer = new byte[4096];
        for (int iteration = 0; iteration < 3000; iteration++)
        {
            var lost = new List<ushort>();
            ushort seq = (ushort)random.Next(65536);
            int count = random.Next(1, 200);
            for (int i = 0; i < count; i++)
            {
                lost.Add(seq);
                seq += (ushort)(random.Next(4) == 0 ? random.Next(17, 60) : random.Next(1, 4));
            }

            int written = RtcpGenericNack.Write(buffer, 7, 8, lost.ToArray());
            Assert.True(written > 0);
            Assert.True(RtcpCompoundReader.IsWellFormed(buffer.AsSpan(0, written)));
            Assert.Equal(lost, Lost(buffer.AsSpan(0, written)));
            Assert.True(RtcpGenericNack.TryParse(buffer.AsSpan(0, written), out var nack));
            Assert.True(nack.EntryCount <= lost.Count);
        }
    }

    [Fact]
    public void Nack_writer_still_reports_every_number_given_out_of_order_or_twice()
    {
        var buffer = new byte[256];
        ushort[] lost = [50, 10, 50, 11, 9];
        int written = RtcpGenericNack.Write(buffer, 1, 2, lost);

        Assert.Equal(new SortedSet<ushort>(lost), new SortedSet<ushort>(Lost(buffer.AsSpan(0, written))));
        Assert.Equal(0, RtcpGenericNack.Write(buffer, 1, 2, []));
        Assert.Equal(0, RtcpGenericNack.Write(new byte[15], 1, 2, [1]));
    }

    [Theory]
    [InlineData("81CD0002 00000001 00000002", "no FCI entry")]
    [InlineData("81CD0003 00000001 00000002 FFFF80", "length field past the datagram")]
    [InlineData("82CD0003 00000001 00000002 FFFF8001", "FMT 2 is not a generic NACK")]
    [InlineData("81CE0003 00000001 00000002 FFFF8001", "PSFB is not RTPFB")]
    public void Nack_parser_rejects_other_packets(string hex, string why)
    {
        Assert.False(RtcpGenericNack.TryParse(Hex.Parse(hex), out _), why);
    }

    [Fact]
    public void Pli_reads_known_bytes_and_writes_them_back()
    {
        byte[] packet = Hex.Parse("81CE0002 00000001 00000002");

        Assert.True(RtcpPli.TryParse(packet, out var pli));
        Assert.Equal(new RtcpPli(1, 2), pli);
        var buffer = new byte[12];
        Assert.Equal(12, RtcpPli.Write(buffer, 1, 2));
        Assert.Equal(packet, buffer);
        Assert.Equal(0, RtcpPli.Write(new byte[11], 1, 2));
        Assert.False(RtcpPli.TryParse(Hex.Parse("84CE0002 00000001 00000002"), out _)); // FMT 4 is FIR
        Assert.False(RtcpPli.TryParse(Hex.Parse("81CD0002 00000001 00000002"), out _)); // RTPFB
    }

    [Fact]
    public void Fir_reads_known_bytes()
    {
        byte[] packet = Hex.Parse("84CE0004 00000001 00000000 AABBCCDD 07000000");

        Assert.True(RtcpFir.TryParse(packet, out var fir));
        Assert.Equal(1u, fir.SenderSsrc);
        Assert.Equal(0u, fir.MediaSsrc);
        Assert.Equal(1, fir.EntryCount);
        Assert.Equal(new RtcpFirEntry(0xAABBCCDD, 7), fir.GetEntry(0));
        var buffer = new byte[20];
        Assert.Equal(20, RtcpFir.Write(buffer, 1, 0xAABBCCDD, 7));
        Assert.Equal(packet, buffer);
    }

    [Fact]
    public void Fir_round_trips_several_entries_and_rejects_partial_ones()
    {
        var random = new Random(5104);
        var buffer = new byte[512];
        for (int iteration = 0; iteration < 500; iteration++)
        {
            var entries = new RtcpFirEntry[random.Next(1, 20)];
            for (int i = 0; i < entries.Length; i++)
            {
                entries[i] = new RtcpFirEntry((uint)random.NextInt64(1L << 32), (byte)random.Next(256));
            }

            int written = RtcpFir.Write(buffer, 9, entries);
            Assert.Equal(12 + (8 * entries.Length), written);
            Assert.True(RtcpFir.TryParse(buffer.AsSpan(0, written), out var fir));
            Assert.Equal(9u, fir.SenderSsrc);
            Assert.Equal(entries.Length, fir.EntryCount);
            for (int i = 0; i < entries.Length; i++)
            {
                Assert.Equal(entries[i], fir.GetEntry(i));
            }
        }

        Assert.False(RtcpFir.TryParse(Hex.Parse("84CE0003 00000001 00000000 AABBCCDD"), out _));
        Assert.False(RtcpFir.TryParse(Hex.Parse("84CE0002 00000001 00000000"), out _));
        Assert.Equal(0, RtcpFir.Write(buffer, 1, []));
    }

    [Fact]
    public void Remb_reads_known_bytes()
    {
        // 1 000 000 bit/s = 250 000 · 2^2: exp 2, mantissa 0x3D090; two SSRCs.
        byte[] packet = Hex.Parse("8FCE0006 11111111 00000000 52454D42 02 0BD090 0000AAAA 0000BBBB");

        Assert.True(RtcpRemb.TryParse(packet, out var remb));
        Assert.Equal(0x11111111u, remb.SenderSsrc);
        Assert.Equal(2, remb.Exponent);
        Assert.Equal(0x3D090, remb.Mantissa);
        Assert.Equal(1_000_000ul, remb.Bitrate);
        Assert.Equal(2, remb.SsrcCount);
        Assert.Equal(0xAAAAu, remb.GetSsrc(0));
        Assert.Equal(0xBBBBu, remb.GetSsrc(1));
        var buffer = new byte[28];
        Assert.Equal(28, RtcpRemb.Write(buffer, 0x11111111, 1_000_000, [0xAAAA, 0xBBBB]));
        Assert.Equal(packet, buffer);
    }

    [Theory]
    [InlineData("8FCE0005 11111111 00000000 52454D42 02 0BD090 0000AAAA", "two SSRCs announced, one present")]
    [InlineData("8FCE0004 11111111 00000000 414C4C21 00 0BD090", "application feedback that is not REMB")]
    [InlineData("8FCE0003 11111111 00000000 52454D42", "identifier without the bitrate")]
    public void Remb_parser_rejects_what_is_not_a_whole_remb(string hex, string why)
    {
        Assert.False(RtcpRemb.TryParse(Hex.Parse(hex), out _), why);
    }

    [Fact]
    public void Remb_round_trips_bitrates_to_18_significant_bits()
    {
        var random = new Random(1500);
        var buffer = new byte[64];
        for (int iteration = 0; iteration < 5000; iteration++)
        {
            int bits = random.Next(65);
            ulong bitrate = bits == 0 ? 0 : (ulong)random.NextInt64() >> (64 - bits) | (1ul << (bits - 1));
            uint ssrc = (uint)random.NextInt64(1L << 32);

            int written = RtcpRemb.Write(buffer, 5, bitrate, [ssrc]);
            Assert.True(RtcpRemb.TryParse(buffer.AsSpan(0, written), out var remb));
            Assert.Equal(RtcpRemb.Encode(bitrate), (remb.Exponent, remb.Mantissa));
            Assert.True(remb.Bitrate <= bitrate);
            Assert.True(bitrate - remb.Bitrate < (1ul << remb.Exponent), $"{bitrate} came back as {remb.Bitrate}");
            if (bitrate < 1 << 18)
            {
                Assert.Equal(bitrate, remb.Bitrate);
            }

            Assert.Equal(ssrc, remb.GetSsrc(0));
        }
    }

    [Fact]
    public void Remb_bitrate_saturates_instead_of_overflowing()
    {
        byte[] packet = Hex.Parse("8FCE0004 11111111 00000000 52454D42 00 FFFFFF"); // exp 63, mantissa 2^18-1
        Assert.True(RtcpRemb.TryParse(packet, out var remb));
        Assert.Equal(ulong.MaxValue, remb.Bitrate);
    }
}
