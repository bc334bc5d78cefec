using MediaServer.Codecs.Rtp;
using MediaServer.Codecs.Tests.TestData;

namespace MediaServer.Codecs.Tests.Rtp;

public class RtpHeaderExtensionTests
{
    private static List<(int Id, string Data)> Elements(ushort profile, string hex, out bool malformed)
    {
        var list = new List<(int, string)>();
        var e = new RtpHeaderExtensionEnumerator(profile, Hex.Parse(hex));
        while (e.MoveNext())
        {
            list.Add((e.Current.Id, Convert.ToHexString(e.Current.Data)));
        }

        malformed = e.IsMalformed;
        return list;
    }

    [Fact]
    public void One_byte_form_follows_the_RFC_8285_section_4_2_figure()
    {
        // The figure's block: ID/L=0 + 1 data byte, ID/L=1 + 2 data bytes, two padding bytes, ID/L=3 + 4 data bytes.
        var got = Elements(0xBEDE, "10 AA 21 BB CC 00 00 33 01 02 03 04", out bool malformed);

        Assert.False(malformed);
        Assert.Equal([(1, "AA"), (2, "BBCC"), (3, "01020304")], got);
    }

    [Fact]
    public void Two_byte_form_follows_the_RFC_8285_section_4_3_figure()
    {
        // ID with L=0 (no data), ID with L=1, a padding byte, ID with L=4.
        var got = Elements(0x1000, "01 00 02 01 AA 00 03 04 01 02 03 04", out bool malformed);

        Assert.False(malformed);
        Assert.Equal([(1, ""), (2, "AA"), (3, "01020304")], got);
    }

    [Fact]
    public void Two_byte_form_accepts_any_appbits()
    {
        Assert.Equal([(9, "AB")], Elements(0x100F, "09 01 AB 00", out _));
    }

    [Fact]
    public void One_byte_id_15_ends_processing_of_the_block()
    {
        var got = Elements(0xBEDE, "10 AA F0 21 BB CC", out bool malformed);

        Assert.Equal([(1, "AA")], got);
        Assert.False(malformed);
    }

    [Theory]
    [InlineData(0xBEDE, "10 AA 23 BB CC", 1)]   // second element says 4 bytes, 2 remain
    [InlineData(0xBEDE, "1F AA", 0)]            // 16 bytes announced, 1 present
    [InlineData(0x1000, "01 01 AA 02 05 BB", 1)] // second element says 5 bytes, 1 remains
    [InlineData(0x1000, "01", 0)]               // ID without its length byte
    public void A_length_that_runs_past_the_block_stops_enumeration_and_marks_it_malformed(int profile, string hex, int goodBefore)
    {
        var got = Elements((ushort)profile, hex, out bool malformed);

        Assert.True(malformed);
        Assert.Equal(goodBefore, got.Count);
    }

    [Fact]
    public void Other_profiles_yield_no_elements()
    {
        Assert.Empty(Elements(0xABAC, "10 AA 00 00", out bool malformed));
        Assert.False(malformed);
    }

    [Fact]
    public void TryFind_finds_an_element_by_id_and_reports_a_missing_one()
    {
        byte[] block = Hex.Parse("10 AA 21 BB CC 00 00 33 01 02 03 04");

        Assert.True(RtpHeaderExtensionEnumerator.TryFind(0xBEDE, block, 2, out var data));
        Assert.Equal(Hex.Parse("BBCC"), data.ToArray());
        Assert.False(RtpHeaderExtensionEnumerator.TryFind(0xBEDE, block, 4, out _));
    }

    [Fact]
    public void Element_writers_refuse_what_the_form_cannot_carry()
    {
        var dest = new byte[300];
        Assert.Equal(0, RtpHeaderExtensionWriter.WriteOneByte(dest, 0, [1]));
        Assert.Equal(0, RtpHeaderExtensionWriter.WriteOneByte(dest, 15, [1]));
        Assert.Equal(0, RtpHeaderExtensionWriter.WriteOneByte(dest, 1, []));
        Assert.Equal(0, RtpHeaderExtensionWriter.WriteOneByte(dest, 1, new byte[17]));
        Assert.Equal(0, RtpHeaderExtensionWriter.WriteOneByte(new byte[2], 1, new byte[2]));
        Assert.Equal(17, RtpHeaderExtensionWriter.WriteOneByte(dest, 14, new byte[16]));
        Assert.Equal(0, RtpHeaderExtensionWriter.WriteTwoByte(dest, 0, [1]));
        Assert.Equal(0, RtpHeaderExtensionWriter.WriteTwoByte(dest, 1, new byte[256]));
        Assert.Equal(2, RtpHeaderExtensionWriter.WriteTwoByte(dest, 255, []));
    }
}
