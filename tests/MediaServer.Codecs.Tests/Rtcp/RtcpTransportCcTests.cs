using MediaServer.Codecs.Rtcp;
using MediaServer.Codecs.Tests.TestData;

namespace MediaServer.Codecs.Tests.Rtcp;

public class RtcpTransportCcTests
{
    private static List<TransportCcPacketStatus> Statuses(ReadOnlySpan<byte> packet)
    {
        Assert.True(RtcpTransportCc.TryParse(packet, out var feedback));
        var list = new List<TransportCcPacketStatus>();
        foreach (var status in feedback.GetPacketStatuses())
        {
            list.Add(status);
        }

        return list;
    }

    // Hand-built from draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1: base 0xFFFE, 26 statuses,
    // reference time −1, feedback count 9; a 1-bit vector (R R N R N…), a 2-bit vector (large, small, N…),
    // and a run of 5 small deltas; 11 bytes of deltas and 3 bytes of padding.
    private const string Example =
        "8FCD0009 00000001 00000002" +
        "FFFE 001A FFFFFF 09" +
        "B400 E400 2005" +
        "04 08 FF FFFC 00 01 02 03 04 05" +
        "000000";

    [Fact]
    public void Reads_the_fixed_fields_of_known_bytes()
    {
        Assert.True(RtcpTransportCc.TryParse(Hex.Parse(Example), out var feedback));
        Assert.Equal(1u, feedback.SenderSsrc);
        Assert.Equal(2u, feedback.MediaSsrc);
        Assert.Equal(0xFFFE, feedback.BaseSequenceNumber);
        Assert.Equal(26, feedback.PacketStatusCount);
        Assert.Equal(-1, feedback.ReferenceTime);
        Assert.Equal(9, feedback.FeedbackPacketCount);
    }

    [Fact]
    public void Expands_run_length_and_both_vector_chunks_with_their_deltas()
    {
        var statuses = Statuses(Hex.Parse(Example));

        Assert.Equal(26, statuses.Count);
        Assert.Equal(0xFFFE, statuses[0].SequenceNumber);
        Assert.Equal(0x0000, statuses[2].SequenceNumber);
        Assert.Equal(23, statuses[25].SequenceNumber);
        int[] received = [0, 1, 3, 14, 15, 21, 22, 23, 24, 25];
        for (int i = 0; i < 26; i++)
        {
            Assert.Equal(Array.IndexOf(received, i) >= 0, statuses[i].IsReceived);
        }

        Assert.Equal(new TransportCcPacketStatus(0xFFFE, TransportCcSymbol.SmallDelta, 4), statuses[0]);
        Assert.Equal(8, statuses[1].DeltaTicks);
        Assert.Equal(255, statuses[3].DeltaTicks);
        Assert.Equal(new TransportCcPacketStatus(12, TransportCcSymbol.LargeDelta, -4), statuses[14]);
        Assert.Equal(0, statuses[15].DeltaTicks);
        Assert.Equal([1, 2, 3, 4, 5], statuses.Skip(21).Select(s => s.DeltaTicks));
        Assert.Equal(TransportCcSymbol.NotReceived, statuses[16].Symbol);
    }

    [Theory]
    [InlineData("8FCD0006 00000001 00000002 0000 0003 000000 00 2003 0102", "three deltas announced, two present")]
    [InlineData("8FCD0005 00000001 00000002 0000 0020 000000 00 2003", "chunks cover 3 of 32 statuses")]
    [InlineData("8FCD0006 00000001 00000002 0000 0001 000000 00 6001 0102", "reserved symbol 11")]
    [InlineData("8FCD0004 00000001 00000002 0000 0001", "FCI shorter than its fixed fields")]
    public void Rejects_chunks_or_deltas_that_do_not_add_up(string hex, string why)
    {
        Assert.False(RtcpTransportCc.TryParse(Hex.Parse(hex), out _), why);
    }

    [Fact]
    public void Round_trips_random_feedback()
    {
        var random = new Random(2016);
        var buffer = new byte[8192];
        for (int iteration = 0; iteration < 2000; iteration++)
        {
            var input = new TransportCcPacketStatus[random.Next(1, 400)];
            int i = 0;
            while (i < input.Length)
            {
                // Runs of one kind (long ones become run-length chunks) mixed with scattered statuses.
                int run = random.Next(3) == 0 ? random.Next(1, 40) : 1;
                int kind = random.Next(4);
                for (int k = 0; k < run && i < input.Length; k++, i++)
                {
                    input[i] = kind switch
                    {
                        0 => new TransportCcPacketStatus(0, TransportCcSymbol.NotReceived, 0),
                        1 or 2 => new TransportCcPacketStatus(0, TransportCcSymbol.SmallDelta, random.Next(256)),
                        _ => new TransportCcPacketStatus(0, TransportCcSymbol.LargeDelta, random.Next(short.MinValue, short.MaxValue + 1)),
                    };
                }
            }

            ushort baseSeq = (ushort)random.Next(65536);
            int reference = random.Next(-0x800000, 0x800000);
            byte count = (byte)random.Next(256);
            int written = RtcpTransportCc.Write(buffer, 3, 4, baseSeq, reference, count, input);

            Assert.True(written > 0);
            Assert.Equal(0, written % 4);
            Assert.True(RtcpCompoundReader.IsWellFormed(buffer.AsSpan(0, written)));
            Assert.True(RtcpTransportCc.TryParse(buffer.AsSpan(0, written), out var feedback));
            Assert.Equal((baseSeq, input.Length, reference, count), (feedback.BaseSequenceNumber, feedback.PacketStatusCount, feedback.ReferenceTime, feedback.FeedbackPacketCount));
            var output = Statuses(buffer.AsSpan(0, written));
            Assert.Equal(input.Length, output.Count);
            for (int n = 0; n < input.Length; n++)
            {
                Assert.Equal((ushort)(baseSeq + n), output[n].SequenceNumber);
                Assert.Equal(input[n].IsReceived, output[n].IsReceived);
                Assert.Equal(input[n].IsReceived ? input[n].DeltaTicks : 0, output[n].DeltaTicks);
            }
        }
    }

    [Fact]
    public void Writer_uses_a_run_length_chunk_for_a_long_run()
    {
        var buffer = new byte[64];
        var input = Enumerable.Repeat(new TransportCcPacketStatus(0, TransportCcSymbol.NotReceived, 0), 100).ToArray();
        int written = RtcpTransportCc.Write(buffer, 1, 2, 0, 0, 0, input);

        Assert.Equal(Hex.Parse("8FCD0005 00000001 00000002 0000 0064 000000 00 0064 0000"), buffer[..written]);
    }

    [Fact]
    public void Writer_refuses_what_it_cannot_encode()
    {
        var buffer = new byte[64];
        Assert.Equal(0, RtcpTransportCc.Write(buffer, 1, 2, 0, 0, 0, []));
        Assert.Equal(0, RtcpTransportCc.Write(buffer, 1, 2, 0, 0, 0, [new(0, TransportCcSymbol.LargeDelta, 40000)]));
        Assert.Equal(0, RtcpTransportCc.Write(buffer, 1, 2, 0, 0x800000, 0, [new(0, TransportCcSymbol.SmallDelta, 1)]));
        Assert.Equal(0, RtcpTransportCc.Write(new byte[20], 1, 2, 0, 0, 0, [new(0, TransportCcSymbol.SmallDelta, 1)]));
    }
}
