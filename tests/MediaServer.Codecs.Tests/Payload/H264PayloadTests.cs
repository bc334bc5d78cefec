using MediaServer.Codecs.Payload;
using MediaServer.Codecs.Rtp;
using MediaServer.Codecs.Tests.TestData;

namespace MediaServer.Codecs.Tests.Payload;

public class H264PayloadTests
{
    private static byte[] PayloadOf(string label)
    {
        Assert.True(RtpPacket.TryParse(Hex.Capture("h264.hex", label), out var packet));
        return packet.Payload.ToArray();
    }

    private static List<int> StapTypes(ReadOnlySpan<byte> payload, out bool error)
    {
        Assert.True(H264Payload.TryGetStapA(payload, out var units));
        var types = new List<int>();
        while (units.MoveNext())
        {
            types.Add(units.Current[0] & 0x1F);
        }

        error = units.Error;
        return types;
    }

    [Fact]
    public void Ffmpeg_sends_sps_pps_and_sei_as_a_stap_a_that_counts_as_a_keyframe()
    {
        byte[] payload = PayloadOf("frame0-packet0");

        Assert.Equal(H264NalUnitType.StapA, H264Payload.GetPacketType(payload));
        Assert.Equal([H264NalUnitType.Sps, H264NalUnitType.Pps, H264NalUnitType.Sei], StapTypes(payload, out bool error));
        Assert.False(error);
        Assert.True(H264Payload.IsKeyframe(payload));
    }

    [Fact]
    public void The_idr_slice_arrives_as_fu_a_fragments_and_only_the_start_counts_as_a_keyframe()
    {
        byte[] start = PayloadOf("frame0-packet1");
        byte[] middle = PayloadOf("frame0-packet2");
        byte[] end = PayloadOf("frame0-packet6-last");

        Assert.True(H264Payload.TryParseFragment(start, out var fu));
        Assert.Equal(new H264FragmentHeader(true, false, H264NalUnitType.IdrSlice, 3), fu);
        Assert.True(H264Payload.TryParseFragment(middle, out fu));
        Assert.Equal(new H264FragmentHeader(false, false, H264NalUnitType.IdrSlice, 3), fu);
        Assert.True(H264Payload.TryParseFragment(end, out fu));
        Assert.Equal(new H264FragmentHeader(false, true, H264NalUnitType.IdrSlice, 3), fu);

        Assert.True(H264Payload.IsKeyframe(start));
        Assert.False(H264Payload.IsKeyframe(middle));
        Assert.False(H264Payload.IsKeyframe(end));
    }

    [Theory]
    [InlineData("frame1-packet0")]
    [InlineData("frame2-packet0")]
    public void Later_frames_are_single_non_idr_slices(string label)
    {
        byte[] payload = PayloadOf(label);

        Assert.Equal(H264NalUnitType.NonIdrSlice, H264Payload.GetPacketType(payload));
        Assert.False(H264Payload.IsKeyframe(payload));
        Assert.False(H264Payload.TryParseFragment(payload, out _));
        Assert.False(H264Payload.TryGetStapA(payload, out _));
    }

    [Theory]
    [InlineData("65 88 84", true)]    // single IDR slice
    [InlineData("67 42 C0 1E", true)] // single SPS
    [InlineData("68 CE 3C 80", false)] // single PPS
    [InlineData("41 9A 20", false)]   // non-IDR slice
    [InlineData("7C 87 AA", true)]    // FU-A start of an SPS (odd but legal)
    [InlineData("7C 81 AA", false)]   // FU-A start of a non-IDR slice
    [InlineData("7C 85", false)]      // FU-A with no fragment data
    [InlineData("7C C5 AA", false)]   // FU-A with both S and E set
    [InlineData("18 0002 6801 0002 6501", true)]  // STAP-A with PPS and IDR
    [InlineData("18 0002 6801 0002 4101", false)] // STAP-A with PPS and non-IDR
    [InlineData("19 0000 0002 6501", false)]      // STAP-B: not looked into
    [InlineData("", false)]
    public void IsKeyframe_by_packet_kind(string hex, bool keyframe)
    {
        Assert.Equal(keyframe, H264Payload.IsKeyframe(Hex.Parse(hex)));
    }

    [Theory]
    [InlineData("18 0003 6501", 0)]           // size says 3, 2 present
    [InlineData("18 0002 6701 0000", 1)]      // size zero
    [InlineData("18 0002 6701 00", 1)]        // trailing byte too short for a size
    [InlineData("18 FFFF 6501", 0)]           // size far past the end
    public void Stap_a_sizes_that_lie_stop_enumeration_with_an_error_and_deny_a_keyframe(string hex, int unitsBefore)
    {
        var types = StapTypes(Hex.Parse(hex), out bool error);

        Assert.True(error);
        Assert.Equal(unitsBefore, types.Count);
        Assert.False(H264Payload.IsKeyframe(Hex.Parse(hex)));
    }

    [Fact]
    public void Every_truncation_of_the_captured_stap_a_yields_a_prefix_of_its_units_or_an_error()
    {
        byte[] payload = PayloadOf("frame0-packet0");
        var all = StapTypes(payload, out _);
        for (int length = 1; length < payload.Length; length++)
        {
            var types = StapTypes(payload.AsSpan(0, length), out bool error);
            Assert.Equal(all.Take(types.Count), types);
            bool keyframe = H264Payload.IsKeyframe(payload.AsSpan(0, length));
            Assert.Equal(!error && types.Count > 0, keyframe); // the SPS comes first
            Assert.True(error || types.Count < all.Count || length == payload.Length);
        }
    }

    [Fact]
    public void Random_garbage_never_throws()
    {
        var random = new Random(6184);
        var buffer = new byte[64];
        for (int i = 0; i < 50000; i++)
        {
            int length = random.Next(buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            if (length > 0 && i % 2 == 0)
            {
                buffer[0] = (byte)((buffer[0] & 0xE0) | (i % 4 == 0 ? 24 : 28));
            }

            var span = buffer.AsSpan(0, length);
            _ = H264Payload.IsKeyframe(span);
            _ = H264Payload.TryParseFragment(span, out _);
            if (H264Payload.TryGetStapA(span, out var units))
            {
                int total = 1;
                while (units.MoveNext())
                {
                    Assert.False(units.Current.IsEmpty);
                    total += 2 + units.Current.Length;
                }

                Assert.True(total <= length);
            }
        }
    }
}
