using MediaServer.Codecs.Payload;
using MediaServer.Codecs.Rtp;
using MediaServer.Codecs.Tests.TestData;

namespace MediaServer.Codecs.Tests.Payload;

public class Vp8PayloadTests
{
    private static byte[] PayloadOf(string label)
    {
        Assert.True(RtpPacket.TryParse(Hex.Capture("vp8.hex", label), out var packet));
        return packet.Payload.ToArray();
    }

    [Fact]
    public void The_first_packet_of_ffmpegs_first_frame_is_a_keyframe_start()
    {
        byte[] payload = PayloadOf("frame0-packet0");

        Assert.True(Vp8Payload.IsKeyframe(payload));
        Assert.True(Vp8Payload.IsStartOfFrame(payload));
        Assert.True(Vp8Payload.TryParseDescriptor(payload, out var d));
        Assert.True(d.HasExtension);
        Assert.True(d.IsStartOfPartition);
        Assert.Equal(0, d.PartitionIndex);
        Assert.True(d.HasPictureId);
        Assert.True(d.HasLongPictureId); // libvpx through FFmpeg uses 15-bit PictureIDs
        Assert.False(d.HasTl0PicIdx);
        Assert.False(d.HasTemporalLayerId);
        Assert.Equal(4, d.Length);
        // RFC 7741 §4.3 / RFC 6386 §9.1: a keyframe's payload header is followed by the start code 9D 01 2A.
        Assert.Equal(new byte[] { 0x9D, 0x01, 0x2A }, payload.AsSpan(d.Length + 3, 3).ToArray());
    }

    [Theory]
    [InlineData("frame0-packet1")]
    [InlineData("frame0-packet2")]
    [InlineData("frame0-packet6-last")]
    public void Later_packets_of_the_keyframe_are_neither_keyframe_starts_nor_frame_starts(string label)
    {
        byte[] payload = PayloadOf(label);

        Assert.False(Vp8Payload.IsKeyframe(payload));
        Assert.False(Vp8Payload.IsStartOfFrame(payload));
        Assert.True(Vp8Payload.TryParseDescriptor(payload, out var d));
        Assert.False(d.IsStartOfPartition);
    }

    [Theory]
    [InlineData("frame1-packet0", 1)]
    [InlineData("frame2-packet0", 2)]
    public void Later_frames_start_a_frame_but_are_not_keyframes(string label, int pictureIdOffset)
    {
        byte[] payload = PayloadOf(label);
        Assert.True(Vp8Payload.TryParseDescriptor(PayloadOf("frame0-packet0"), out var first));

        Assert.True(Vp8Payload.IsStartOfFrame(payload));
        Assert.False(Vp8Payload.IsKeyframe(payload));
        Assert.True(Vp8Payload.TryParseDescriptor(payload, out var d));
        Assert.Equal((first.PictureId + pictureIdOffset) & 0x7FFF, d.PictureId);
    }

    [Fact]
    public void Parses_every_optional_descriptor_field()
    {
        // X N S PID=2 | I L T K | M + 15-bit PictureID 0x1234 | TL0PICIDX 0x56 | TID=2 Y KEYIDX=5 | payload
        byte[] payload = Hex.Parse("B2 F0 9234 56 A5 FF");

        Assert.True(Vp8Payload.TryParseDescriptor(payload, out var d));
        Assert.True(d.IsNonReference);
        Assert.True(d.IsStartOfPartition);
        Assert.Equal(2, d.PartitionIndex);
        Assert.Equal(0x1234, d.PictureId);
        Assert.True(d.HasLongPictureId);
        Assert.True(d.HasTl0PicIdx);
        Assert.Equal(0x56, d.Tl0PicIdx);
        Assert.True(d.HasTemporalLayerId);
        Assert.Equal(2, d.TemporalLayerId);
        Assert.True(d.IsLayerSync);
        Assert.True(d.HasKeyIndex);
        Assert.Equal(5, d.KeyIndex);
        Assert.Equal(6, d.Length);
    }

    [Fact]
    public void Parses_a_7_bit_picture_id_and_a_descriptor_without_extension()
    {
        Assert.True(Vp8Payload.TryParseDescriptor(Hex.Parse("90 80 05 AA"), out var d));
        Assert.Equal(5, d.PictureId);
        Assert.False(d.HasLongPictureId);
        Assert.Equal(3, d.Length);

        Assert.True(Vp8Payload.TryParseDescriptor(Hex.Parse("10 00 00 00"), out d));
        Assert.False(d.HasExtension);
        Assert.Equal(-1, d.PictureId);
        Assert.Equal(1, d.Length);
        Assert.True(Vp8Payload.IsKeyframe(Hex.Parse("10 00 00 00")));
        Assert.False(Vp8Payload.IsKeyframe(Hex.Parse("10 01 00 00"))); // P = 1: interframe
        Assert.False(Vp8Payload.IsKeyframe(Hex.Parse("11 00 00 00"))); // PID 1: not partition 0
        Assert.False(Vp8Payload.IsKeyframe(Hex.Parse("10 00 00")));    // payload header cut short
    }

    [Theory]
    [InlineData("")]
    [InlineData("90")]
    [InlineData("90 80")]
    [InlineData("90 80 80")]
    [InlineData("90 80 80 00")]
    [InlineData("90 40")]
    [InlineData("90 10")]
    public void Rejects_a_descriptor_cut_short_or_with_no_data_after_it(string hex)
    {
        Assert.False(Vp8Payload.TryParseDescriptor(Hex.Parse(hex), out _));
        Assert.False(Vp8Payload.IsKeyframe(Hex.Parse(hex)));
        Assert.False(Vp8Payload.IsStartOfFrame(Hex.Parse(hex)));
    }

    [Fact]
    public void Every_truncation_of_the_keyframe_start_is_a_keyframe_only_once_the_payload_header_fits()
    {
        byte[] payload = PayloadOf("frame0-packet0");
        for (int length = 0; length <= payload.Length; length++)
        {
            Assert.Equal(length >= 4 + 3, Vp8Payload.IsKeyframe(payload.AsSpan(0, length)));
            Assert.Equal(length >= 5, Vp8Payload.IsStartOfFrame(payload.AsSpan(0, length)));
        }
    }

    [Fact]
    public void Random_garbage_never_throws()
    {
        var random = new Random(7741);
        var buffer = new byte[16];
        int keyframes = 0;
        for (int i = 0; i < 50000; i++)
        {
            int length = random.Next(buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            var span = buffer.AsSpan(0, length);
            if (Vp8Payload.TryParseDescriptor(span, out var d))
            {
                Assert.InRange(d.Length, 1, length - 1);
            }

            keyframes += Vp8Payload.IsKeyframe(span) ? 1 : 0;
            _ = Vp8Payload.IsStartOfFrame(span);
        }

        Assert.True(keyframes > 0);
    }
}
