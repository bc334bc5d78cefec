using System.Text;
using MediaServer.Codecs.Rtcp;
using MediaServer.Codecs.Tests.TestData;

namespace MediaServer.Codecs.Tests.Rtcp;

public class RtcpSdesByeAppTests
{
    [Fact]
    public void Sdes_reads_chunks_and_items_from_known_bytes()
    {
        // Two chunks (RFC 3550 §6.5): 0x11 with CNAME "ab" and TOOL "x"; 0x22 with NAME "cde".
        byte[] packet = Hex.Parse(
            "82CA0006" +
            "00000011 01026162 06017800" + // CNAME "ab", TOOL "x", null terminator
            "00000022 02036364 65000000");  // NAME "cde", null, pad

        Assert.True(RtcpSdes.TryParse(packet, out var sdes));
        Assert.Equal(2, sdes.ChunkCount);
        var items = new List<(uint, RtcpSdesItemType, string)>();
        while (sdes.MoveNext())
        {
            items.Add((sdes.Current.Ssrc, sdes.Current.Type, Encoding.UTF8.GetString(sdes.Current.Value)));
        }

        Assert.False(sdes.Error);
        Assert.Equal([(0x11u, RtcpSdesItemType.Cname, "ab"), (0x11u, RtcpSdesItemType.Tool, "x"), (0x22u, RtcpSdesItemType.Name, "cde")], items);
    }

    [Theory]
    [InlineData("81CA0002 00000011 0105616263", "item longer than the packet")]
    [InlineData("82CA0002 00000011 01016100", "second chunk missing")]
    [InlineData("81CA0002 00000011 01026162", "chunk without its null terminator")]
    public void Sdes_stops_with_an_error_on_items_or_chunks_that_do_not_fit(string hex, string why)
    {
        Assert.True(RtcpSdes.TryParse(Hex.Parse(hex), out var sdes), why);
        while (sdes.MoveNext())
        {
        }

        Assert.True(sdes.Error, why);
    }

    [Fact]
    public void Cname_round_trips_for_every_length()
    {
        var buffer = new byte[300];
        var random = new Random(65);
        for (int length = 0; length <= 255; length++)
        {
            byte[] cname = new byte[length];
            for (int i = 0; i < length; i++)
            {
                cname[i] = (byte)random.Next(33, 127);
            }

            int written = RtcpSdes.WriteCname(buffer, 0xCAFE, cname);
            Assert.Equal(0, written % 4);
            Assert.True(written >= 4 + 4 + 2 + length + 1);
            Assert.True(RtcpSdes.TryGetCname(buffer.AsSpan(0, written), out uint ssrc, out var got));
            Assert.Equal(0xCAFEu, ssrc);
            Assert.Equal(cname, got.ToArray());

            Assert.True(RtcpSdes.TryParse(buffer.AsSpan(0, written), out var sdes));
            int items = 0;
            while (sdes.MoveNext())
            {
                items++;
            }

            Assert.Equal(1, items);
            Assert.False(sdes.Error);
        }

        Assert.Equal(0, RtcpSdes.WriteCname(buffer, 1, new byte[256]));
        Assert.Equal(0, RtcpSdes.WriteCname(new byte[15], 1, "abcd"u8));
        Assert.Equal(16, RtcpSdes.WriteCname(new byte[16], 1, "abcd"u8));
    }

    [Fact]
    public void Bye_reads_sources_and_reason_from_known_bytes()
    {
        byte[] packet = Hex.Parse("82CB0004 00000001 00000002 07676F6F 64627965");

        Assert.True(RtcpBye.TryParse(packet, out var bye));
        Assert.Equal(2, bye.SourceCount);
        Assert.Equal(1u, bye.GetSsrc(0));
        Assert.Equal(2u, bye.GetSsrc(1));
        Assert.Equal("goodbye", Encoding.ASCII.GetString(bye.Reason));
    }

    [Fact]
    public void Bye_round_trips_with_and_without_a_reason()
    {
        var random = new Random(66);
        var buffer = new byte[512];
        for (int iteration = 0; iteration < 500; iteration++)
        {
            uint[] ssrcs = new uint[random.Next(32)];
            for (int i = 0; i < ssrcs.Length; i++)
            {
                ssrcs[i] = (uint)random.NextInt64(1L << 32);
            }

            byte[] reason = new byte[random.Next(3) == 0 ? 0 : random.Next(256)];
            random.NextBytes(reason);

            int written = RtcpBye.Write(buffer, ssrcs, reason);
            Assert.True(written > 0);
            Assert.True(RtcpBye.TryParse(buffer.AsSpan(0, written), out var bye));
            Assert.Equal(ssrcs.Length, bye.SourceCount);
            for (int i = 0; i < ssrcs.Length; i++)
            {
                Assert.Equal(ssrcs[i], bye.GetSsrc(i));
            }

            Assert.Equal(reason, bye.Reason.ToArray());
        }
    }

    [Fact]
    public void Bye_rejects_a_reason_length_that_runs_past_the_packet()
    {
        Assert.False(RtcpBye.TryParse(Hex.Parse("81CB0002 00000001 09616263"), out _));
        Assert.False(RtcpBye.TryParse(Hex.Parse("83CB0002 00000001 00000002"), out _));
    }

    [Fact]
    public void App_exposes_subtype_name_and_data()
    {
        byte[] packet = Hex.Parse("85CC0003 00001234 51554958 DEADBEEF");

        Assert.True(RtcpApp.TryParse(packet, out var app));
        Assert.Equal(5, app.Subtype);
        Assert.Equal(0x1234u, app.Ssrc);
        Assert.Equal("QUIX", Encoding.ASCII.GetString(app.Name));
        Assert.Equal(Hex.Parse("DEADBEEF"), app.Data.ToArray());
        Assert.False(RtcpApp.TryParse(Hex.Parse("85CC0001 00001234"), out _));
    }
}
