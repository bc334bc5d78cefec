using System.Buffers.Binary;
using System.Text.Json;
using MediaServer.Codecs.Payload;
using MediaServer.Codecs.Recording.Containers;

namespace MediaServer.Codecs.Tests.Recording;

public sealed class VideoDepacketizerTests(CapturedStreams streams) : IClassFixture<CapturedStreams>
{
    public sealed record EmittedFrame(uint Timestamp, bool Keyframe, byte[] Bytes);

    private static List<EmittedFrame> Depacketize(VideoDepacketizer depacketizer, IEnumerable<byte[]> packets)
    {
        var frames = new List<EmittedFrame>();
        foreach (var packet in packets)
        {
            if (depacketizer.Push(packet))
            {
                frames.Add(new EmittedFrame(depacketizer.FrameTimestamp, depacketizer.FrameIsKeyframe, depacketizer.Frame.ToArray()));
            }
        }

        return frames;
    }

    private static string WriteIvf(string codec, List<EmittedFrame> frames, Func<int, long> pts)
    {
        string path = Path.Combine(Path.GetTempPath(), $"depacketizer-{Guid.NewGuid():N}.ivf");
        using var file = File.Create(path);
        var header = new byte[IvfFormat.FileHeaderLength];
        IvfFormat.WriteFileHeader(header, codec == "VP8" ? IvfFormat.FourCcVp8 : IvfFormat.FourCcH264, 320, 240, 1000, 1, (uint)frames.Count);
        file.Write(header);
        var frameHeader = new byte[IvfFormat.FrameHeaderLength];
        for (int i = 0; i < frames.Count; i++)
        {
            IvfFormat.WriteFrameHeader(frameHeader, frames[i].Bytes.Length, pts(i));
            file.Write(frameHeader);
            file.Write(frames[i].Bytes);
        }

        return path;
    }

    private static async Task<List<(long Pts, bool Key)>> DecodeAsync(string path)
    {
        // Decoding errors (a broken reference, a truncated frame) show on stderr at level "error".
        var decode = await ExternalTool.RunAsync("ffmpeg", ["-hide_banner", "-v", "error", "-i", path, "-f", "null", "-"], TimeSpan.FromSeconds(30));
        Assert.True(decode.ExitCode == 0 && decode.Stderr.Length == 0, decode.Stderr);

        var probe = await ExternalTool.RunAsync(
            "ffprobe",
            ["-v", "error", "-select_streams", "v:0", "-show_frames", "-show_entries", "frame=pts,key_frame,width,height:stream=codec_name", "-of", "json", path],
            TimeSpan.FromSeconds(30));
        Assert.Equal(0, probe.ExitCode);
        using var json = JsonDocument.Parse(probe.Stdout);
        var frames = new List<(long, bool)>();
        foreach (var frame in json.RootElement.GetProperty("frames").EnumerateArray())
        {
            Assert.Equal(320, frame.GetProperty("width").GetInt32());
            Assert.Equal(240, frame.GetProperty("height").GetInt32());
            frames.Add((frame.GetProperty("pts").GetInt64(), frame.GetProperty("key_frame").GetInt32() == 1));
        }

        return frames;
    }

    [Theory]
    [InlineData("VP8")]
    [InlineData("H264")]
    public async Task A_whole_ffmpeg_stream_becomes_every_frame_and_ffmpeg_decodes_them_at_the_written_times(string codec)
    {
        var depacketizer = CapturedStreams.NewDepacketizer(codec);
        var frames = Depacketize(depacketizer, streams.Packets(codec));

        Assert.Equal(0, depacketizer.PacketsLost);
        Assert.Equal(CapturedStreams.FrameCount, frames.Count);
        Assert.True(frames[0].Keyframe);
        Assert.Equal(4, frames.Count(f => f.Keyframe)); // -g 15 over 60 frames
        Assert.All(frames.Zip(frames.Skip(1)), p => Assert.Equal(3000u, p.Second.Timestamp - p.First.Timestamp)); // 90 kHz / 30 fps

        // Timestamps unlike the source's 33.3 ms spacing, so they can only come from the IVF frame headers.
        string path = WriteIvf(codec, frames, i => 1000 + (i * 40L));
        try
        {
            var decoded = await DecodeAsync(path);
            Assert.Equal(frames.Count, decoded.Count);
            Assert.Equal(Enumerable.Range(0, frames.Count).Select(i => 1000 + (i * 40L)), decoded.Select(d => d.Pts));
            Assert.Equal(frames.Select(f => f.Keyframe), decoded.Select(d => d.Key));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_vp8_keyframe_tells_its_size()
    {
        var frames = Depacketize(new Vp8Depacketizer(), streams.Vp8);

        Assert.True(Vp8Depacketizer.TryGetKeyframeSize(frames[0].Bytes, out int width, out int height));
        Assert.Equal((320, 240), (width, height));
        Assert.False(Vp8Depacketizer.TryGetKeyframeSize(frames[1].Bytes, out _, out _));
    }

    [Fact]
    public void An_h264_frame_is_annex_b_with_the_parameter_sets_before_the_idr()
    {
        var frames = Depacketize(new H264Depacketizer(), streams.H264);

        var types = NalTypes(frames[0].Bytes);
        Assert.Equal([7, 8], types.Take(2));
        Assert.Contains(5, types);
        Assert.All(NalTypes(frames[1].Bytes), t => Assert.NotEqual(5, t));
    }

    private static List<int> NalTypes(byte[] annexB)
    {
        var types = new List<int>();
        for (int i = 0; i + 4 < annexB.Length; i++)
        {
            if (annexB[i] == 0 && annexB[i + 1] == 0 && annexB[i + 2] == 0 && annexB[i + 3] == 1)
            {
                types.Add(annexB[i + 4] & 0x1F);
                i += 3;
            }
        }

        return types;
    }

    public static TheoryData<string, int> Seeds()
    {
        var data = new TheoryData<string, int>();
        foreach (string codec in (string[])["VP8", "H264"])
        {
            for (int seed = 1; seed <= 12; seed++)
            {
                data.Add(codec, seed);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Under_loss_and_reordering_only_intact_frames_come_out_and_never_before_a_keyframe_after_a_loss(string codec, int seed)
    {
        var reference = Depacketize(CapturedStreams.NewDepacketizer(codec), streams.Packets(codec)).ToDictionary(f => f.Timestamp);
        var order = reference.Keys.ToList();
        var impaired = Impair(streams.Packets(codec), new Random(seed), lossRate: 0.04, swapRate: 0.04);

        var depacketizer = CapturedStreams.NewDepacketizer(codec);
        var frames = Depacketize(depacketizer, impaired);

        Assert.True(depacketizer.PacketsLost + depacketizer.PacketsDiscarded > 0, "the impairment changed nothing");
        Assert.True(frames.Count < reference.Count);
        foreach (var frame in frames)
        {
            Assert.True(reference.TryGetValue(frame.Timestamp, out var original), "a frame with a timestamp never sent");
            Assert.Equal(original.Bytes, frame.Bytes);
            Assert.Equal(original.Keyframe, frame.Keyframe);
        }

        // Walking the sent frames in order: once one is missing, the next frame that comes out is a keyframe.
        var emitted = frames.Select(f => f.Timestamp).ToHashSet();
        bool broken = false;
        foreach (uint timestamp in order)
        {
            if (!emitted.Contains(timestamp))
            {
                broken = true;
            }
            else
            {
                Assert.True(!broken || reference[timestamp].Keyframe, $"frame {timestamp} came out after a loss without a keyframe");
                broken = false;
            }
        }
    }

    [Theory]
    [InlineData("VP8")]
    [InlineData("H264")]
    public async Task What_comes_out_under_loss_decodes_without_errors(string codec)
    {
        var impaired = Impair(streams.Packets(codec), new Random(7), lossRate: 0.05, swapRate: 0.0);
        var frames = Depacketize(CapturedStreams.NewDepacketizer(codec), impaired);
        Assert.NotEmpty(frames);

        string path = WriteIvf(codec, frames, i => i * 33L);
        try
        {
            var decoded = await DecodeAsync(path);
            Assert.Equal(frames.Count, decoded.Count);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Drops packets and swaps neighbours at the given rates; the first packet always survives.</summary>
    private static List<byte[]> Impair(IReadOnlyList<byte[]> packets, Random random, double lossRate, double swapRate)
    {
        var kept = new List<byte[]> { packets[0] };
        kept.AddRange(packets.Skip(1).Where(_ => random.NextDouble() >= lossRate));
        for (int i = 1; i + 1 < kept.Count; i++)
        {
            if (random.NextDouble() < swapRate)
            {
                (kept[i], kept[i + 1]) = (kept[i + 1], kept[i]);
                i++;
            }
        }

        return kept;
    }

    // Hand-made packets for the cases a healthy FFmpeg stream never shows.

    private static byte[] Rtp(ushort sequence, uint timestamp, bool marker, params byte[] payload)
    {
        var packet = new byte[12 + payload.Length];
        packet[0] = 0x80;
        packet[1] = (byte)((marker ? 0x80 : 0) | 102);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), sequence);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), timestamp);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(8), 42);
        payload.CopyTo(packet, 12);
        return packet;
    }

    private static readonly byte[] Sps = [0x67, 0x42, 0xC0, 0x0D];
    private static readonly byte[] Pps = [0x68, 0xCE, 0x0F, 0xC8];

    private static byte[] StapA(params byte[][] units)
    {
        var payload = new List<byte> { 0x78 }; // F=0, NRI=3, type 24
        foreach (var unit in units)
        {
            payload.Add((byte)(unit.Length >> 8));
            payload.Add((byte)unit.Length);
            payload.AddRange(unit);
        }

        return [.. payload];
    }

    /// <summary>FU-A of an IDR slice (type 5, NRI 3) whose slice header starts with first_mb_in_slice = 0.</summary>
    private static byte[] IdrFragment(bool start, bool end, byte data) => start
        ? [0x7C, (byte)(0x80 | (end ? 0x40 : 0) | 5), 0x88, data]
        : [0x7C, (byte)((end ? 0x40 : 0) | 5), data];

    [Fact]
    public void Stap_a_and_fu_a_become_an_annex_b_access_unit_with_the_nal_header_rebuilt()
    {
        var depacketizer = new H264Depacketizer();

        Assert.False(depacketizer.Push(Rtp(10, 9000, false, StapA(Sps, Pps))));
        Assert.False(depacketizer.Push(Rtp(11, 9000, false, IdrFragment(true, false, 0xA1))));
        Assert.False(depacketizer.Push(Rtp(12, 9000, false, IdrFragment(false, false, 0xA2))));
        Assert.True(depacketizer.Push(Rtp(13, 9000, true, IdrFragment(false, true, 0xA3))));

        byte[] expected =
        [
            0, 0, 0, 1, .. Sps,
            0, 0, 0, 1, .. Pps,
            0, 0, 0, 1, 0x65, 0x88, 0xA1, 0xA2, 0xA3,
        ];
        Assert.Equal(expected, depacketizer.Frame.ToArray());
        Assert.True(depacketizer.FrameIsKeyframe);
        Assert.Equal(9000u, depacketizer.FrameTimestamp);
    }

    [Fact]
    public void A_frame_missing_a_middle_fragment_is_dropped_and_so_is_what_follows_until_a_keyframe()
    {
        var depacketizer = new H264Depacketizer();
        Assert.False(depacketizer.Push(Rtp(10, 9000, false, StapA(Sps, Pps))));
        Assert.False(depacketizer.Push(Rtp(11, 9000, false, IdrFragment(true, false, 0xA1))));
        // 12 lost
        Assert.False(depacketizer.Push(Rtp(13, 9000, true, IdrFragment(false, true, 0xA3))));
        // A whole inter frame (non-IDR slice, first_mb 0) cannot be shown without the lost keyframe.
        Assert.False(depacketizer.Push(Rtp(14, 12000, true, 0x41, 0x9A, 0x01)));
        // An IDR without its parameter sets is no place to start again (they may have changed in what was lost).
        Assert.False(depacketizer.Push(Rtp(15, 15000, true, 0x65, 0x88, 0x10)));
        // The next whole keyframe with SPS and PPS comes out.
        Assert.False(depacketizer.Push(Rtp(16, 18000, false, StapA(Sps, Pps))));
        Assert.True(depacketizer.Push(Rtp(17, 18000, true, 0x65, 0x88, 0x10)));

        Assert.Equal(1, depacketizer.PacketsLost);
        Assert.Equal(3, depacketizer.FramesDropped);
        Assert.Equal(1, depacketizer.FramesCompleted);
    }

    [Fact]
    public void A_frame_whose_first_packet_is_lost_is_dropped_even_when_the_rest_arrives()
    {
        var depacketizer = new H264Depacketizer();
        Assert.True(depacketizer.Push(Rtp(1, 3000, true, StapA(Sps, Pps, [0x65, 0x88, 0x01]))));
        // 2 (the keyframe's first fragment) lost; the end fragment alone must not become a frame.
        Assert.False(depacketizer.Push(Rtp(3, 6000, true, IdrFragment(false, true, 0xB2))));
        Assert.Equal(1, depacketizer.FramesDropped);
    }

    [Fact]
    public void Interleaved_mode_packets_break_the_frame_and_undefined_types_are_ignored()
    {
        var depacketizer = new H264Depacketizer();
        Assert.False(depacketizer.Push(Rtp(1, 3000, false, StapA(Sps, Pps))));
        Assert.False(depacketizer.Push(Rtp(2, 3000, false, 0x1E, 0xFF))); // type 30: ignored
        Assert.True(depacketizer.Push(Rtp(3, 3000, true, 0x65, 0x88, 0x01)));

        Assert.False(depacketizer.Push(Rtp(4, 6000, false, 0x41, 0x9A, 0x01)));
        Assert.False(depacketizer.Push(Rtp(5, 6000, true, 0x19, 0x00, 0x00))); // STAP-B
        Assert.Equal(1, depacketizer.FramesDropped);
    }

    [Fact]
    public void Late_and_duplicate_packets_are_discarded_not_spliced_in()
    {
        var depacketizer = new H264Depacketizer();
        Assert.True(depacketizer.Push(Rtp(100, 3000, true, StapA(Sps, Pps, [0x65, 0x88, 0x01]))));
        Assert.False(depacketizer.Push(Rtp(100, 3000, true, StapA(Sps, Pps, [0x65, 0x88, 0x01]))));
        Assert.False(depacketizer.Push(Rtp(99, 0, true, 0x41, 0x9A, 0x01)));
        Assert.Equal(2, depacketizer.PacketsDiscarded);

        // Sequence numbers wrap at 2^16 without a loss being counted.
        var wrapping = new H264Depacketizer();
        Assert.True(wrapping.Push(Rtp(65535, 3000, true, StapA(Sps, Pps, [0x65, 0x88, 0x01]))));
        Assert.True(wrapping.Push(Rtp(0, 6000, true, 0x41, 0x9A, 0x01)));
        Assert.Equal(0, wrapping.PacketsLost);
    }

    [Fact]
    public void Garbage_is_counted_not_thrown()
    {
        var random = new Random(3);
        foreach (var depacketizer in new VideoDepacketizer[] { new Vp8Depacketizer(), new H264Depacketizer() })
        {
            for (int i = 0; i < 5000; i++)
            {
                var bytes = new byte[random.Next(0, 40)];
                random.NextBytes(bytes);
                if (bytes.Length > 0)
                {
                    bytes[0] = (byte)((bytes[0] & 0x3F) | 0x80);
                }

                depacketizer.Push(bytes);
            }

            Assert.True(depacketizer.PacketsDiscarded > 0);
        }
    }

    [Fact]
    public void After_reset_a_restarted_stream_with_new_numbers_starts_at_its_keyframe()
    {
        var depacketizer = new Vp8Depacketizer();
        var frames = Depacketize(depacketizer, streams.Vp8.Take(40));
        depacketizer.Reset();
        frames.AddRange(Depacketize(depacketizer, streams.Vp8));

        Assert.Equal(0, depacketizer.PacketsLost);
        Assert.True(frames.Count > CapturedStreams.FrameCount);
        Assert.True(frames[^CapturedStreams.FrameCount].Keyframe);
    }
}
