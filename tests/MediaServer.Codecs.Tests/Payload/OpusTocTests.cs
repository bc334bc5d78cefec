using MediaServer.Codecs.Payload;
using MediaServer.Codecs.Rtp;
using MediaServer.Codecs.Tests.TestData;

namespace MediaServer.Codecs.Tests.Payload;

public class OpusTocTests
{
    [Theory]
    [InlineData("rtp0")]
    [InlineData("rtp1")]
    [InlineData("rtp2")]
    public void Ffmpegs_libopus_default_sends_20_ms_fullband_celt_frames(string label)
    {
        Assert.True(RtpPacket.TryParse(Hex.Capture("opus.hex", label), out var packet));
        Assert.Equal(111, packet.PayloadType);
        Assert.Equal(2222u, packet.Ssrc);

        Assert.True(OpusToc.TryRead(packet.Payload, out var toc));
        Assert.Equal(31, toc.Config);
        Assert.Equal(OpusMode.Celt, toc.Mode);
        Assert.Equal(OpusBandwidth.Fullband, toc.Bandwidth);
        Assert.Equal(960, toc.FrameSize);
        Assert.False(toc.IsStereo); // the sine source is mono
        Assert.Equal(0, toc.FrameCountCode);
        Assert.Equal(960, OpusToc.GetSampleCount(packet.Payload));
    }

    [Fact]
    public void Consecutive_captured_packets_advance_the_timestamp_by_their_sample_count()
    {
        var capture = Hex.ReadCapture("opus.hex");
        Assert.True(RtpPacket.TryParse(capture["rtp0"], out var first));
        Assert.True(RtpPacket.TryParse(capture["rtp1"], out var second));
        Assert.Equal((uint)OpusToc.GetSampleCount(first.Payload), second.Timestamp - first.Timestamp);
    }

    // RFC 6716 §3.1, Table 2: configuration → mode, bandwidth, frame duration.
    [Theory]
    [InlineData(0, OpusMode.Silk, OpusBandwidth.Narrowband, 480)]
    [InlineData(1, OpusMode.Silk, OpusBandwidth.Narrowband, 960)]
    [InlineData(2, OpusMode.Silk, OpusBandwidth.Narrowband, 1920)]
    [InlineData(3, OpusMode.Silk, OpusBandwidth.Narrowband, 2880)]
    [InlineData(4, OpusMode.Silk, OpusBandwidth.Mediumband, 480)]
    [InlineData(7, OpusMode.Silk, OpusBandwidth.Mediumband, 2880)]
    [InlineData(8, OpusMode.Silk, OpusBandwidth.Wideband, 480)]
    [InlineData(11, OpusMode.Silk, OpusBandwidth.Wideband, 2880)]
    [InlineData(12, OpusMode.Hybrid, OpusBandwidth.SuperWideband, 480)]
    [InlineData(13, OpusMode.Hybrid, OpusBandwidth.SuperWideband, 960)]
    [InlineData(14, OpusMode.Hybrid, OpusBandwidth.Fullband, 480)]
    [InlineData(15, OpusMode.Hybrid, OpusBandwidth.Fullband, 960)]
    [InlineData(16, OpusMode.Celt, OpusBandwidth.Narrowband, 120)]
    [InlineData(17, OpusMode.Celt, OpusBandwidth.Narrowband, 240)]
    [InlineData(18, OpusMode.Celt, OpusBandwidth.Narrowband, 480)]
    [InlineData(19, OpusMode.Celt, OpusBandwidth.Narrowband, 960)]
    [InlineData(20, OpusMode.Celt, OpusBandwidth.Wideband, 120)]
    [InlineData(24, OpusMode.Celt, OpusBandwidth.SuperWideband, 120)]
    [InlineData(27, OpusMode.Celt, OpusBandwidth.SuperWideband, 960)]
    [InlineData(28, OpusMode.Celt, OpusBandwidth.Fullband, 120)]
    [InlineData(31, OpusMode.Celt, OpusBandwidth.Fullband, 960)]
    public void Configuration_table_matches_the_rfc(int config, OpusMode mode, OpusBandwidth bandwidth, int frameSize)
    {
        var toc = new OpusToc((byte)((config << 3) | 0x04 | 0x02));

        Assert.Equal(config, toc.Config);
        Assert.Equal(mode, toc.Mode);
        Assert.Equal(bandwidth, toc.Bandwidth);
        Assert.Equal(frameSize, toc.FrameSize);
        Assert.True(toc.IsStereo);
        Assert.Equal(2, toc.FrameCountCode);
    }

    [Theory]
    [InlineData("F8 AA BB", 960)]              // code 0: one 20 ms frame
    [InlineData("F8", 960)]                    // code 0 with an empty frame (DTX)
    [InlineData("F9 AA BB", 1920)]             // code 1: two equal frames
    [InlineData("F9 AA", -1)]                  // code 1 with an odd length (R3)
    [InlineData("FA 01 AA BB", 1920)]          // code 2: first frame 1 byte, second 1 byte
    [InlineData("FA 05 AA", -1)]               // code 2: first frame longer than the packet (R4)
    [InlineData("FA FC", -1)]                  // code 2: two-byte length cut short
    [InlineData("FA", -1)]                     // code 2 with no length byte
    [InlineData("FB 03 AA BB CC", 2880)]       // code 3 CBR: 3 frames of 1 byte
    [InlineData("FB 03 AA BB", -1)]            // code 3 CBR: 2 bytes do not split into 3 frames (R6)
    [InlineData("FB 00", -1)]                  // code 3: zero frames (R5)
    [InlineData("FB 07", -1)]                  // code 3: 7 × 20 ms = 140 ms > 120 ms
    [InlineData("FB 06", 5760)]                // code 3: 6 empty 20 ms frames = 120 ms exactly
    [InlineData("FB 83 01 02 AA BB BB CC", 2880)] // code 3 VBR: lengths 1 and 2, last frame 1 byte
    [InlineData("FB 83 01 05 AA BB", -1)]      // code 3 VBR: lengths run past the end (R7)
    [InlineData("FB 42 02 AA BB 00 00", 1920)] // code 3 CBR with 2 bytes of padding
    [InlineData("FB 42 FF 00 AA BB", -1)]      // code 3: 254 bytes of padding announced, none present
    [InlineData("FB 42", -1)]                  // code 3: padding flag without its length
    [InlineData("FB", -1)]                     // code 3 with no frame count byte
    [InlineData("", -1)]                       // R1: empty
    [InlineData("03 AA BB", -1)]               // SILK NB 10 ms, code 3: 42 frames = 420 ms
    [InlineData("1B 02 AA BB", 5760)]          // SILK NB 60 ms, code 3: two frames = 120 ms
    [InlineData("1B 03 AA BB CC", -1)]         // SILK NB 60 ms, code 3: three frames = 180 ms
    public void GetSampleCount_follows_the_framing_rules(string hex, int samples)
    {
        Assert.Equal(samples, OpusToc.GetSampleCount(Hex.Parse(hex)));
    }

    [Fact]
    public void A_code_0_frame_longer_than_1275_bytes_is_malformed()
    {
        byte[] packet = new byte[1 + 1276];
        packet[0] = 0xF8;
        Assert.Equal(-1, OpusToc.GetSampleCount(packet));
        Assert.Equal(960, OpusToc.GetSampleCount(packet.AsSpan(0, 1276)));
    }

    [Fact]
    public void Random_garbage_never_throws_and_counts_stay_within_120_ms()
    {
        var random = new Random(6716);
        var buffer = new byte[64];
        int valid = 0;
        for (int i = 0; i < 50000; i++)
        {
            int length = random.Next(buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            int samples = OpusToc.GetSampleCount(buffer.AsSpan(0, length));
            if (samples != -1)
            {
                valid++;
                Assert.InRange(samples, 120, OpusToc.MaxSamplesPerPacket);
            }
        }

        Assert.True(valid > 1000);
    }
}
