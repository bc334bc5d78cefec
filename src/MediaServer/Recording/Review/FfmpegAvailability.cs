using Microsoft.Extensions.Options;

namespace MediaServer.Recording.Review;

/// <summary>
/// Whether the FFmpeg that MediaServer:Recording:FfmpegPath names can be run: checked at start (logged as an error) and by
/// /healthz (degraded), so that a wrong path is seen the day it is set, not when recordings pile up as render_failed.
/// </summary>
public sealed class FfmpegAvailability(IOptions<RecordingOptions> options)
{
    public string Configured => options.Value.FfmpegPath;

    /// <summary>Null when FFmpeg is there (or recording is off); otherwise what is wrong, in one sentence.</summary>
    public string? Problem()
    {
        var path = options.Value.FfmpegPath;
        if (!options.Value.Enabled)
        {
            return null;
        }
        if (string.IsNullOrWhiteSpace(path))
        {
            return "MediaServer:Recording:FfmpegPath is empty";
        }
        if (path.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return IsExecutable(path) ? null : $"MediaServer:Recording:FfmpegPath '{path}' is not an executable file";
        }
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (IsExecutable(Path.Combine(directory, path)))
            {
                return null;
            }
        }
        return $"MediaServer:Recording:FfmpegPath '{path}' is not found on PATH";
    }

    private static bool IsExecutable(string file) =>
        File.Exists(file) && (OperatingSystem.IsWindows()
            || (File.GetUnixFileMode(file) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);
}
