using System.Globalization;
using System.Text.Json;

namespace MediaServer.Testing.Ffmpeg;

public sealed record ProbedStream(int Index, string CodecType, string CodecName, int? Width, int? Height, long? ReadFrames, long? ReadPackets)
{
    public override string ToString() =>
        CodecType == "video"
            ? $"#{Index} {CodecName} {Width}x{Height} frames={ReadFrames} packets={ReadPackets}"
            : $"#{Index} {CodecType} {CodecName} frames={ReadFrames} packets={ReadPackets}";
}

public sealed record ToneEstimate(double FrequencyHz, double Rms, double Seconds)
{
    public override string ToString() => $"{FrequencyHz:0} Hz (rms {Rms:0}, {Seconds:0.0} s)";
}

/// <summary>ffprobe and an FFmpeg decode, to learn what a recording really holds.</summary>
public static class MediaProbe
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Every stream with its decoded frame count (<c>-count_frames</c> decodes the whole file).</summary>
    public static async Task<IReadOnlyList<ProbedStream>> ProbeAsync(string path)
    {
        var result = await ProcessRunner.RunAsync(
            "ffprobe",
            ["-v", "error", "-count_frames", "-count_packets", "-show_streams", "-of", "json", path],
            ToolTimeout);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"ffprobe failed:\n{result}");
        }

        using var json = JsonDocument.Parse(result.Stdout);
        var streams = new List<ProbedStream>();
        if (!json.RootElement.TryGetProperty("streams", out var array))
        {
            return streams;
        }

        foreach (var s in array.EnumerateArray())
        {
            streams.Add(new ProbedStream(
                s.GetProperty("index").GetInt32(),
                s.TryGetProperty("codec_type", out var type) ? type.GetString() ?? "" : "",
                s.TryGetProperty("codec_name", out var name) ? name.GetString() ?? "" : "",
                s.TryGetProperty("width", out var w) ? w.GetInt32() : null,
                s.TryGetProperty("height", out var h) ? h.GetInt32() : null,
                Count(s, "nb_read_frames"),
                Count(s, "nb_read_packets")));
        }

        return streams;
    }

    /// <summary>
    /// Decodes one audio stream to mono PCM and estimates its tone from zero crossings (a sine of f Hz crosses zero
    /// 2f times a second), skipping the first half second where the codec is still settling.
    /// </summary>
    public static async Task<ToneEstimate> EstimateToneAsync(string path, int streamIndex)
    {
        const int SampleRate = 48000;
        var result = await ProcessRunner.RunAsync(
            "ffmpeg",
            ["-hide_banner", "-v", "error", "-nostdin", "-i", path, "-map", $"0:{streamIndex}", "-ac", "1", "-ar", SampleRate.ToString(CultureInfo.InvariantCulture), "-f", "s16le", "pipe:1"],
            ToolTimeout);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"Decoding audio failed:\n{result}");
        }

        var samples = new short[result.Stdout.Length / 2];
        Buffer.BlockCopy(result.Stdout, 0, samples, 0, samples.Length * 2);
        var skip = Math.Min(samples.Length, SampleRate / 2);
        var span = samples.AsSpan(skip);
        if (span.Length < SampleRate / 10)
        {
            return new ToneEstimate(0, 0, samples.Length / (double)SampleRate);
        }

        double sumSquares = 0;
        var crossings = 0;
        var previousSign = 0;
        const int Hysteresis = 200; // ignore sign flips of near-silence noise
        foreach (var sample in span)
        {
            sumSquares += sample * (double)sample;
            var sign = sample > Hysteresis ? 1 : sample < -Hysteresis ? -1 : 0;
            if (sign != 0)
            {
                if (previousSign != 0 && sign != previousSign)
                {
                    crossings++;
                }

                previousSign = sign;
            }
        }

        var seconds = span.Length / (double)SampleRate;
        return new ToneEstimate(crossings / 2.0 / seconds, Math.Sqrt(sumSquares / span.Length), samples.Length / (double)SampleRate);
    }

    private static long? Count(JsonElement stream, string property) =>
        stream.TryGetProperty(property, out var value) && long.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : null;
}
