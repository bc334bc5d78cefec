using System.Buffers.Binary;
using System.Text.Json;
using MediaServer.Codecs.Recording.Containers;

namespace MediaServer.Codecs.Tests.Recording;

public class ContainerFormatTests
{
    [Fact]
    public void The_ivf_header_lays_out_the_signature_fourcc_size_and_time_base()
    {
        var header = new byte[IvfFormat.FileHeaderLength];
        Assert.Equal(32, IvfFormat.WriteFileHeader(header, IvfFormat.FourCcH264, 640, 360, 1000, 1, 7));

        Assert.Equal("DKIF"u8.ToArray(), header[..4]);
        Assert.Equal(32, BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(6)));
        Assert.Equal("H264"u8.ToArray(), header[8..12]);
        Assert.Equal(640, BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(12)));
        Assert.Equal(360, BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(14)));
        Assert.Equal(1000u, BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(16)));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(20)));
        Assert.Equal(7u, BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(24)));
        Assert.Equal(-1, IvfFormat.WriteFileHeader(new byte[31], IvfFormat.FourCcVp8, 1, 1, 1000, 1, 0));

        var frame = new byte[IvfFormat.FrameHeaderLength];
        Assert.Equal(12, IvfFormat.WriteFrameHeader(frame, 1234, 5_000_000_000));
        Assert.Equal(1234u, BinaryPrimitives.ReadUInt32LittleEndian(frame));
        Assert.Equal(5_000_000_000, BinaryPrimitives.ReadInt64LittleEndian(frame.AsSpan(4)));
    }

    [Fact]
    public async Task A_wav_written_with_the_header_is_read_by_ffprobe_as_48_khz_s16_of_the_right_length()
    {
        const int rate = 48000;
        int samples = rate * 3 / 2;
        var data = new byte[samples * 2];
        for (int i = 0; i < samples; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(i * 2), (short)(8000 * Math.Sin(2 * Math.PI * 1000 * i / rate)));
        }

        var header = new byte[WavFormat.HeaderLength];
        Assert.Equal(44, WavFormat.WriteHeader(header, rate, 1, data.Length));
        Assert.Equal(-1, WavFormat.WriteHeader(header, rate, 1, WavFormat.MaxDataLength + 1));
        string path = Path.Combine(Path.GetTempPath(), $"wav-{Guid.NewGuid():N}.wav");
        await File.WriteAllBytesAsync(path, [.. header, .. data]);
        try
        {
            var probe = await ExternalTool.RunAsync(
                "ffprobe",
                ["-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels,duration", "-of", "json", path],
                TimeSpan.FromSeconds(20));
            using var json = JsonDocument.Parse(probe.Stdout);
            var stream = json.RootElement.GetProperty("streams")[0];
            Assert.Equal("pcm_s16le", stream.GetProperty("codec_name").GetString());
            Assert.Equal("48000", stream.GetProperty("sample_rate").GetString());
            Assert.Equal(1, stream.GetProperty("channels").GetInt32());
            Assert.Equal(1.5, double.Parse(stream.GetProperty("duration").GetString()!, System.Globalization.CultureInfo.InvariantCulture), 3);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
