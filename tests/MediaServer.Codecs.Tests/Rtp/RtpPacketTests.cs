using MediaServer.Codecs.Rtp;
using MediaServer.Codecs.Tests.TestData;

namespace MediaServer.Codecs.Tests.Rtp;

public class RtpPacketTests
{
    [Fact]
    public void Parses_the_fixed_header_of_a_packet_captured_from_ffmpeg()
    {
        var capture = Hex.ReadCapture("vp8.hex");
        byte[] first = capture["frame0-packet0"];

        Assert.True(RtpPacket.TryParse(first, out var packet));
        Assert.Equal(2, packet.Version);
        Assert.Equal(96, packet.PayloadType);
        Assert.Equal(1111u, packet.Ssrc);
        Assert.False(packet.Marker);
        Assert.False(packet.HasExtension);
        Assert.False(packet.HasPadding);
        Assert.Equal(0, packet.CsrcCount);
        Assert.Equal(12, packet.HeaderLength);
        Assert.Equal(first.Length - 12, packet.Payload.Length);
        Assert.Equal((ushort)((first[2] << 8) | first[3]), packet.SequenceNumber);
    }

    [Fact]
    public void Packets_of_one_captured_frame_share_a_timestamp_and_the_last_carries_the_marker()
    {
        var capture = Hex.ReadCapture("vp8.hex");
        Assert.True(RtpPacket.TryParse(capture["frame0-packet0"], out var first));
        Assert.True(RtpPacket.TryParse(capture["frame0-packet1"], out var second));
        Assert.True(RtpPacket.TryParse(capture["frame0-packet6-last"], out var last));
        Assert.True(RtpPacket.TryParse(capture["frame1-packet0"], out var next));

        Assert.Equal(first.Timestamp, last.Timestamp);
        Assert.Equal((ushort)(first.SequenceNumber + 1), second.SequenceNumber);
        Assert.Equal((ushort)(first.SequenceNumber + 6), last.SequenceNumber);
        Assert.True(last.Marker);
        Assert.False(second.Marker);
        Assert.Equal(3000u, next.Timestamp - first.Timestamp); // 90 kHz clock at 30 frames per second
    }

    [Fact]
    public void Parse_reads_csrcs_extension_padding_and_payload_from_a_hand_built_packet()
    {
        byte[] packet = Hex.Parse(
            "B3 E1 1234 89ABCDEF 01020304" + // V=2 P X CC=3, M PT=97, seq, ts, ssrc
            "0000000A 0000000B 0000000C" +   // CSRCs
            "BEDE 0001 10 AA 00 00" +        // one-byte extension: ID 1, 1 byte; two padding bytes
            "DEADBEEF" +                     // payload
            "000003");                       // 3 bytes of padding

        Assert.True(RtpPacket.TryParse(packet, out var p));
        Assert.True(p.Marker);
        Assert.Equal(97, p.PayloadType);
        Assert.Equal(0x1234, p.SequenceNumber);
        Assert.Equal(0x89ABCDEFu, p.Timestamp);
        Assert.Equal(0x01020304u, p.Ssrc);
        Assert.Equal(3, p.CsrcCount);
        Assert.Equal(0xAu, p.GetCsrc(0));
        Assert.Equal(0xCu, p.GetCsrc(2));
        Assert.True(p.HasExtension);
        Assert.Equal(RtpHeaderExtensionProfile.OneByte, p.ExtensionProfile);
        Assert.Equal(Hex.Parse("10AA0000"), p.ExtensionData.ToArray());
        Assert.Equal(12 + 12 + 8, p.HeaderLength);
        Assert.Equal(Hex.Parse("DEADBEEF"), p.Payload.ToArray());
        Assert.Equal(3, p.PaddingLength);
        Assert.True(p.TryGetHeaderExtension(1, out var ext));
        Assert.Equal(new byte[] { 0xAA }, ext.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => RtpPacket.TryParse(packet, out var q) ? q.GetCsrc(3) : 0);
    }

    [Theory]
    [InlineData("40 60 0001 00000000 00000001", "version 1")]
    [InlineData("C0 60 0001 00000000 00000001", "version 3")]
    [InlineData("80 60 0001 00000000 000000", "shorter than the fixed header")]
    [InlineData("82 60 0001 00000000 00000001 0000000A", "two CSRCs announced, one present")]
    [InlineData("90 60 0001 00000000 00000001 BEDE", "extension header cut short")]
    [InlineData("90 60 0001 00000000 00000001 BEDE 0002 10AA0000", "extension length says 8 bytes, 4 present")]
    [InlineData("A0 60 0001 00000000 00000001 AABB 04", "padding count larger than the payload")]
    [InlineData("A0 60 0001 00000000 00000001 AABB 00", "padding count of zero")]
    [InlineData("A0 60 0001 00000000 00000001", "padding bit with no bytes at all")]
    public void Parse_rejects_malformed_headers(string hex, string why)
    {
        Assert.False(RtpPacket.TryParse(Hex.Parse(hex), out _), why);
    }

    [Fact]
    public void Padding_may_fill_the_whole_payload()
    {
        Assert.True(RtpPacket.TryParse(Hex.Parse("A0 60 0001 00000000 00000001 000003"), out var p));
        Assert.True(p.Payload.IsEmpty);
        Assert.Equal(3, p.PaddingLength);
    }

    [Fact]
    public void Writer_and_parser_round_trip_random_packets()
    {
        var random = new Random(3550);
        var buffer = new byte[2048];
        var elements = new byte[256];
        for (int iteration = 0; iteration < 3000; iteration++)
        {
            var header = new RtpHeaderFields(
                random.Next(2) == 1, (byte)random.Next(128), (ushort)random.Next(65536), (uint)random.NextInt64(1L << 32), (uint)random.NextInt64(1L << 32));
            uint[] csrcs = new uint[random.Next(16)];
            for (int i = 0; i < csrcs.Length; i++)
            {
                csrcs[i] = (uint)random.NextInt64(1L << 32);
            }

            var expectedExtensions = new List<(int Id, byte[] Data)>();
            int elementLength = 0;
            bool twoByte = random.Next(2) == 1;
            int extensionCount = random.Next(4);
            for (int i = 0; i < extensionCount; i++)
            {
                byte[] data = new byte[twoByte ? random.Next(0, 20) : random.Next(1, 17)];
                random.NextBytes(data);
                int id = twoByte ? random.Next(1, 256) : random.Next(1, 15);
                int n = twoByte
                    ? RtpHeaderExtensionWriter.WriteTwoByte(elements.AsSpan(elementLength), id, data)
                    : RtpHeaderExtensionWriter.WriteOneByte(elements.AsSpan(elementLength), id, data);
                Assert.NotEqual(0, n);
                elementLength += n;
                expectedExtensions.Add((id, data));
            }

            byte[] payload = new byte[random.Next(0, 1200)];
            random.NextBytes(payload);
            int padding = random.Next(4) == 0 ? random.Next(1, 256) : 0;
            ushort profile = twoByte ? (ushort)(RtpHeaderExtensionProfile.TwoByte | random.Next(16)) : RtpHeaderExtensionProfile.OneByte;

            Assert.True(RtpPacketWriter.TryWrite(buffer, header, csrcs, profile, elements.AsSpan(0, elementLength), payload, padding, out int written));
            Assert.True(RtpPacket.TryParse(buffer.AsSpan(0, written), out var p));

            Assert.Equal(header, new RtpHeaderFields(p.Marker, p.PayloadType, p.SequenceNumber, p.Timestamp, p.Ssrc));
            Assert.Equal(csrcs.Length, p.CsrcCount);
            for (int i = 0; i < csrcs.Length; i++)
            {
                Assert.Equal(csrcs[i], p.GetCsrc(i));
            }

            Assert.Equal(payload, p.Payload.ToArray());
            Assert.Equal(padding, p.PaddingLength);
            Assert.Equal(extensionCount > 0, p.HasExtension);
            int seen = 0;
            foreach (var extension in p.GetHeaderExtensions())
            {
                Assert.Equal(expectedExtensions[seen].Id, extension.Id);
                Assert.Equal(expectedExtensions[seen].Data, extension.Data.ToArray());
                seen++;
            }

            Assert.Equal(extensionCount, seen);
        }
    }

    [Fact]
    public void Writer_refuses_a_destination_too_small_and_arguments_it_cannot_encode()
    {
        var header = new RtpHeaderFields(false, 96, 1, 2, 3);
        Assert.False(RtpPacketWriter.TryWrite(new byte[15], header, new byte[4], out _));
        Assert.True(RtpPacketWriter.TryWrite(new byte[16], header, new byte[4], out int written));
        Assert.Equal(16, written);
        Assert.False(RtpPacketWriter.TryWrite(new byte[64], header with { PayloadType = 128 }, default, out _));
        Assert.False(RtpPacketWriter.TryWrite(new byte[128], header, new uint[16], 0, default, default, 0, out _));
        Assert.False(RtpPacketWriter.TryWrite(new byte[128], header, default, 0, default, default, 256, out _));
    }

    [Fact]
    public void Every_truncation_of_a_valid_packet_is_rejected_or_parses_consistently()
    {
        var random = new Random(42);
        var buffer = new byte[512];
        byte[] elements = new byte[8];
        int elementLength = RtpHeaderExtensionWriter.WriteOneByte(elements, 3, new byte[] { 1, 2, 3 });
        for (int round = 0; round < 50; round++)
        {
            byte[] payload = new byte[random.Next(0, 100)];
            random.NextBytes(payload);
            int padding = random.Next(2) == 0 ? 0 : random.Next(1, 8);
            Assert.True(RtpPacketWriter.TryWrite(
                buffer, new RtpHeaderFields(true, 111, 7, 8, 9), new uint[] { 1, 2 }, RtpHeaderExtensionProfile.OneByte,
                elements.AsSpan(0, elementLength), payload, padding, out int written));

            for (int length = 0; length < written; length++)
            {
                var truncated = buffer.AsSpan(0, length);
                if (RtpPacket.TryParse(truncated, out var p))
                {
                    Assert.Equal(length, p.HeaderLength + p.Payload.Length + p.PaddingLength);
                    Assert.Equal(9u, p.Ssrc);
                    Assert.Equal(2, p.CsrcCount);
                    Assert.True(p.HeaderLength <= length);
                    if (padding == 0)
                    {
                        Assert.True(payload.AsSpan(0, p.Payload.Length).SequenceEqual(p.Payload));
                    }
                }
                else
                {
                    // Only a cut into the header (or a padding byte that no longer fits) may be refused.
                    Assert.True(length < 12 + 8 + 8 || padding > 0, $"length {length} of {written} refused");
                }
            }
        }
    }

    [Fact]
    public void Random_garbage_never_throws_and_what_parses_is_self_consistent()
    {
        var random = new Random(7);
        var buffer = new byte[300];
        int parsed = 0;
        for (int i = 0; i < 20000; i++)
        {
            int length = random.Next(buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            if (i % 2 == 0 && length > 0)
            {
                buffer[0] = (byte)(0x80 | (buffer[0] & 0x3F)); // half the inputs get version 2 to reach deeper checks
            }

            var span = buffer.AsSpan(0, length);
            if (!RtpPacket.TryParse(span, out var p))
            {
                continue;
            }

            parsed++;
            Assert.Equal(length, p.HeaderLength + p.Payload.Length + p.PaddingLength);
            for (int c = 0; c < p.CsrcCount; c++)
            {
                _ = p.GetCsrc(c);
            }

            var extensions = p.GetHeaderExtensions();
            while (extensions.MoveNext())
            {
                Assert.InRange(extensions.Current.Id, 1, 255);
            }
        }

        Assert.True(parsed > 1000, $"only {parsed} random inputs parsed; the test is not reaching the accessors");
    }
}
