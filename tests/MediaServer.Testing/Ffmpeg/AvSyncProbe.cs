using System.Globalization;
using System.Text.RegularExpressions;

namespace MediaServer.Testing.Ffmpeg;

/// <summary>
/// Reads a review copy back with FFmpeg to find when each party's test clip flashes and beeps (docs/peers.md, the
/// flash-and-beep clip), so a test can check that picture and sound of one party stay together.
/// </summary>
public static partial class AvSyncProbe
{
    /// <summary>Frame times where the centre of a tile turns white (luma average crossing up through 170).</summary>
    public static async Task<List<double>> FlashOnsetsAsync(string mp4, int tileX, string? workingDirectory = null)
    {
        string stats = Path.Combine(Path.GetTempPath(), $"yavg-{Guid.NewGuid():N}.txt");
        try
        {
            var run = await ProcessRunner.RunAsync(
                "ffmpeg",
                ["-hide_banner", "-v", "error", "-i", mp4, "-an", "-vf", $"crop=240:160:{tileX + 200}:100,signalstats,metadata=print:key=lavfi.signalstats.YAVG:file={stats}", "-f", "null", "-"],
                TimeSpan.FromSeconds(60), workingDirectory: workingDirectory);
            Succeeded(run);
            var onsets = new List<double>();
            double time = 0;
            bool white = false;
            foreach (string line in File.ReadLines(stats))
            {
                var frame = PtsTime().Match(line);
                if (frame.Success)
                {
                    time = double.Parse(frame.Groups[1].Value, CultureInfo.InvariantCulture);
                    continue;
                }

                var value = Yavg().Match(line);
                if (value.Success)
                {
                    bool now = double.Parse(value.Groups[1].Value, CultureInfo.InvariantCulture) > 170;
                    if (now && !white)
                    {
                        onsets.Add(time);
                    }

                    white = now;
                }
            }

            return onsets;
        }
        finally
        {
            File.Delete(stats);
        }
    }

    /// <summary>Times where the mix, filtered around one party's beep frequency, stops being silent.</summary>
    public static async Task<List<double>> BeepOnsetsAsync(string mp4, int hz, string? workingDirectory = null)
    {
        var run = await ProcessRunner.RunAsync(
            "ffmpeg",
            ["-hide_banner", "-nostats", "-i", mp4, "-vn", "-af", $"bandpass=f={hz}:width_type=h:w={hz / 5},bandpass=f={hz}:width_type=h:w={hz / 5},silencedetect=n=-35dB:d=0.3", "-f", "null", "-"],
            TimeSpan.FromSeconds(60), workingDirectory: workingDirectory);
        Succeeded(run);
        var onsets = new List<double>();
        foreach (Match m in SilenceEnd().Matches(run.Stderr))
        {
            onsets.Add(double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        }
        return onsets;
    }

    private static void Succeeded(ProcessResult run)
    {
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException($"{run.CommandLine} exited with {run.ExitCode}: {run.Stderr}");
        }
    }

    [GeneratedRegex(@"pts_time:([0-9.]+)")]
    private static partial Regex PtsTime();

    [GeneratedRegex(@"lavfi\.signalstats\.YAVG=([0-9.]+)")]
    private static partial Regex Yavg();

    [GeneratedRegex(@"silence_end: ([0-9.]+)")]
    private static partial Regex SilenceEnd();
}
