using MediaServer.Codecs.Rtcp;
using MediaServer.Codecs.Tests.TestData;

namespace MediaServer.Codecs.Tests.Rtcp;

public class RtcpCompoundReaderTests
{
    private static byte[] SampleCompound()
    {
        var buffer = new byte[512];
        int n = RtcpSenderReport.Write(buffer, 0x1111, 0xE000_0000_8000_0000, 90000, 10, 1000,
            [new RtcpReportBlock(0x2222, 12, -3, 0x0001_0005, 7, 0x12345678, 0x10000)]);
        n += RtcpSdes.WriteCname(buffer.AsSpan(n), 0x1111, "visit-42"u8);
        n += RtcpBye.Write(buffer.AsSpan(n), [0x1111], "hung up"u8);
        return buffer[..n];
    }

    [Fact]
    public void Iterates_the_sender_report_ffmpeg_sent()
    {
        byte[] datagram = Hex.Capture("vp8.hex", "rtcp-first");
        var reader = new RtcpCompoundReader(datagram);

        Assert.True(reader.MoveNext());
        Assert.Equal(2, reader.Current.Version);
        Assert.Equal(RtcpPacketType.SenderReport, reader.Current.PacketType);
        Assert.Equal(0, reader.Current.Count);
        Assert.Equal(28, reader.Current.Length);
        Assert.False(reader.Current.HasPadding);
        Assert.False(reader.MoveNext());
        Assert.False(reader.Error);
    }

    [Fact]
    public void Iterates_a_compound_of_sr_sdes_and_bye()
    {
        byte[] datagram = SampleCompound();
        var types = new List<RtcpPacketType>();
        var lengths = new List<int>();
        var reader = new RtcpCompoundReader(datagram);
        foreach (var packet in reader)
        {
            types.Add(packet.PacketType);
            lengths.Add(packet.Length);
        }

        Assert.Equal([RtcpPacketType.SenderReport, RtcpPacketType.SourceDescription, RtcpPacketType.Goodbye], types);
        Assert.Equal(datagram.Length, lengths.Sum());
        Assert.True(RtcpCompoundReader.IsWellFormed(datagram));
    }

    [Theory]
    [InlineData("40C80000", "version 1")]
    [InlineData("80C80002 00000000", "length says 12 bytes, 8 present")]
    [InlineData("81C90001 00000001 80", "a trailing byte too short for a header")]
    [InlineData("A0C90001 00000000", "padding count of zero")]
    [InlineData("A0C90001 00000009", "padding count longer than the body")]
    public void Stops_with_an_error_on_a_packet_it_cannot_frame(string hex, string why)
    {
        var reader = new RtcpCompoundReader(Hex.Parse(hex));
        while (reader.MoveNext())
        {
        }

        Assert.True(reader.Error, why);
        Assert.False(RtcpCompoundReader.IsWellFormed(Hex.Parse(hex)));
    }

    [Fact]
    public void Packets_before_a_malformed_one_are_still_yielded()
    {
        byte[] datagram = [.. SampleCompound(), .. Hex.Parse("80C8FFFF")];
        var reader = new RtcpCompoundReader(datagram);
        int count = 0;
        while (reader.MoveNext())
        {
            count++;
        }

        Assert.Equal(3, count);
        Assert.True(reader.Error);
    }

    [Fact]
    public void Padding_is_excluded_from_the_body()
    {
        // RR, RC=0, P set, 4 bytes of padding: length 2 words + 1.
        var reader = new RtcpCompoundReader(Hex.Parse("A0C90002 0000ABCD 00000004"));
        Assert.True(reader.MoveNext());
        Assert.Equal(4, reader.Current.PaddingLength);
        Assert.Equal(Hex.Parse("0000ABCD"), reader.Current.Body.ToArray());
        Assert.True(RtcpReceiverReport.TryParse(reader.Current.Span, out var rr));
        Assert.Equal(0xABCDu, rr.Ssrc);
    }

    [Fact]
    public void A_header_only_packet_advances_so_the_walk_always_ends()
    {
        byte[] datagram = new byte[4000];
        for (int i = 0; i < datagram.Length; i += 4)
        {
            datagram[i] = 0x80;
            datagram[i + 1] = 204; // length 0: a 4-byte packet
        }

        var reader = new RtcpCompoundReader(datagram);
        int count = 0;
        while (reader.MoveNext())
        {
            count++;
        }

        Assert.Equal(1000, count);
        Assert.False(reader.Error);
    }

    [Fact]
    public void Every_truncation_of_a_compound_packet_yields_a_prefix_of_its_packets_or_an_error()
    {
        byte[] datagram = SampleCompound();
        int[] boundaries = [0, 52, 52 + 20, datagram.Length];
        for (int length = 0; length <= datagram.Length; length++)
        {
            var reader = new RtcpCompoundReader(datagram.AsSpan(0, length));
            int count = 0;
            while (reader.MoveNext())
            {
                count++;
            }

            bool atBoundary = Array.IndexOf(boundaries, length) >= 0;
            Assert.Equal(!atBoundary, reader.Error);
            RtcpVisitor.VisitAll(datagram.AsSpan(0, length));
        }
    }

    [Fact]
    public void Random_garbage_never_throws()
    {
        var random = new Random(3550);
        var buffer = new byte[200];
        int framed = 0;
        int accepted = 0;
        for (int i = 0; i < 20000; i++)
        {
            int length = random.Next(buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            if (i % 2 == 0 && length >= 4)
            {
                // Steer half the inputs to one plausible, exactly framed packet so the typed readers see random bodies.
                length &= ~3;
                buffer[0] = (byte)(0x80 | (buffer[0] & 0x1F));
                buffer[1] = (byte)(200 + random.Next(7));
                buffer[2] = 0;
                buffer[3] = (byte)((length / 4) - 1);
            }

            if (RtcpCompoundReader.IsWellFormed(buffer.AsSpan(0, length)))
            {
                framed++;
            }

            accepted += RtcpVisitor.VisitAll(buffer.AsSpan(0, length));
        }

        Assert.True(accepted > 1000, $"only {accepted} inputs reached a typed reader");
        Assert.True(framed > 2000, $"only {framed} inputs framed");
    }

    [Fact]
    public void Random_mutations_of_valid_packets_never_throw()
    {
        var random = new Random(4585);
        var packets = RtcpSamples.All();
        for (int i = 0; i < 20000; i++)
        {
            byte[] mutated = (byte[])packets[random.Next(packets.Count)].Clone();
            int flips = random.Next(1, 4);
            for (int f = 0; f < flips; f++)
            {
                mutated[random.Next(mutated.Length)] ^= (byte)(1 << random.Next(8));
            }

            RtcpVisitor.VisitAll(mutated);
        }
    }

    [Fact]
    public void Every_truncation_of_every_sample_packet_is_rejected_by_its_reader_or_consistent()
    {
        foreach (byte[] packet in RtcpSamples.All())
        {
            Assert.Equal(1, RtcpVisitor.VisitAll(packet));
            for (int length = 0; length < packet.Length; length++)
            {
                // A cut packet's length field now runs past the datagram: nothing frames, nothing is accepted.
                Assert.Equal(0, RtcpVisitor.VisitAll(packet.AsSpan(0, length)));
                Assert.False(RtcpCompoundReader.IsWellFormed(packet.AsSpan(0, length)));
            }
        }
    }
}
