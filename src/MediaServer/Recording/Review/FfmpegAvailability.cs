using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace MediaServer.Recording.Review;

/// <summary>
/// Whether the FFmpeg that MediaServer:Recording:FfmpegPath names can render review copies: checked at start (logged as an
/// error) and by /healthz and /readyz, so that a wrong path or an FFmpeg that cannot do the job is seen the day it is set,
/// not when recordings pile up as render_failed. The file must be there and executable (checked on every call, cheap); what
/// it can do (its version, and whether it was built with libx264 and libfreetype) is asked of it once per binary (its path,
/// size and modification time), so a probe every few seconds runs no process. <see cref="QuickState"/> never waits for that
/// question (liveness answers at once while it is asked at start).
/// </summary>
public sealed partial class FfmpegAvailability(IOptions<RecordingOptions> options)
{
    /// <summary>The oldest FFmpeg that renders our review copies: amix's <c>normalize</c> option came in 4.4.</summary>
    public static readonly Version Oldest = new(4, 4);

    /// <summary>
    /// The external libraries the review copy needs, as <c>-version</c>'s configuration line names them (FFmpeg has them only
    /// when built with them): libx264 encodes the video, libfreetype draws the names and clock (drawtext). The rest (amix,
    /// overlay, scale, pad, color, the aac encoder) are FFmpeg's own.
    /// </summary>
    private static readonly (string Flag, string Problem)[] Libraries =
    [
        ("--enable-libx264", "was built without libx264, which review copies are encoded with"),
        ("--enable-libfreetype", "was built without libfreetype, which the drawtext filter needs to write the review copy's names and clock"),
    ];

    private readonly Lock _gate = new();
    private Probed? _probed;

    /// <summary>How long one question to FFmpeg may take (internal: a test uses a stand-in that never answers).</summary>
    internal TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public string Configured => options.Value.FfmpegPath;

    /// <summary>Null when FFmpeg is there and can render (or recording is off); otherwise what is wrong, in one sentence.</summary>
    public string? Problem() => Check().Problem;

    /// <summary><c>ok</c>, <c>missing</c> (no such executable) or <c>unusable</c> (it runs but cannot render review copies).</summary>
    public string State() => Check().State;

    /// <summary>
    /// As <see cref="State"/>, without waiting for FFmpeg to be asked: until it has been (at start, in the background), an
    /// executable that is there counts as <c>ok</c>.
    /// </summary>
    public string QuickState() => Check(wait: false).State;

    private (string State, string? Problem) Check(bool wait = true)
    {
        var path = options.Value.FfmpegPath;
        if (!options.Value.Enabled)
        {
            return ("ok", null);
        }
        if (string.IsNullOrWhiteSpace(path))
        {
            return ("missing", "MediaServer:Recording:FfmpegPath is empty");
        }
        var resolved = Resolve(path);
        if (resolved is null)
        {
            return ("missing", path.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal)
                ? $"MediaServer:Recording:FfmpegPath '{path}' is not an executable file"
                : $"MediaServer:Recording:FfmpegPath '{path}' is not found on PATH");
        }
        var problem = Capability(resolved, wait);
        return problem is null ? ("ok", null) : ("unusable", problem);
    }

    private static string? Resolve(string path)
    {
        if (path.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return IsExecutable(path) ? path : null;
        }
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, path);
            if (IsExecutable(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>What <paramref name="path"/> lacks for a review copy, asked once per binary.</summary>
    private string? Capability(string path, bool wait)
    {
        var file = new FileInfo(path);
        if (!wait)
        {
            return Volatile.Read(ref _probed) is { } known && known.Is(path, file) ? known.Problem : null;
        }
        lock (_gate)
        {
            if (Volatile.Read(ref _probed) is { } last && last.Is(path, file))
            {
                return last.Problem;
            }
            var problem = Probe(path);
            Volatile.Write(ref _probed, new Probed(path, file.Length, file.LastWriteTimeUtc, problem));
            return problem;
        }
    }

    /// <summary>
    /// One question, <c>ffmpeg -hide_banner -version</c>: 1. its version (<c>ffmpeg version 5.1.9-0+deb12u1</c>; a build from git,
    /// <c>N-…</c>, has none to compare and is judged by the rest); 2. its configuration line, for the libraries it was built with.
    /// </summary>
    private string? Probe(string path)
    {
        // 1. The version.
        var (version, failure) = Ask(path, "-version");
        if (failure is not null)
        {
            return failure;
        }
        var match = VersionLine().Match(version);
        if (!match.Success && !version.StartsWith("ffmpeg version", StringComparison.Ordinal))
        {
            return $"'{path}' does not say it is FFmpeg (its -version begins '{FirstLine(version)}')";
        }
        if (match.Success)
        {
            var found = new Version(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
            if (found < Oldest)
            {
                var shown = match.Groups[1].Value + "." + match.Groups[2].Value + match.Groups[3].Value;
                return $"FFmpeg {shown} at '{path}' is too old: review copies need {Oldest} or later";
            }
        }

        // 2. The libraries it was built with.
        var configuration = ConfigurationLine().Match(version);
        var flags = configuration.Success ? configuration.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
        foreach (var (flag, problem) in Libraries)
        {
            if (Array.IndexOf(flags, flag) < 0)
            {
                return $"FFmpeg at '{path}' {problem}";
            }
        }
        return null;
    }

    /// <summary>Runs <c>ffmpeg -hide_banner <paramref name="what"/></c> and returns what it printed, or why it could not be asked.</summary>
    private (string Output, string? Failure) Ask(string path, string what)
    {
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-hide_banner");
        start.ArgumentList.Add(what);
        try
        {
            using var process = Process.Start(start);
            if (process is null)
            {
                return ("", $"'{path} {what}' could not be started");
            }
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(ProbeTimeout))
            {
                process.Kill(entireProcessTree: true);
                return ("", string.Create(CultureInfo.InvariantCulture, $"'{path} {what}' did not answer within {ProbeTimeout.TotalSeconds:0.#} s"));
            }
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                return ("", $"'{path} {what}' failed with exit code {process.ExitCode}: {FirstLine(errors.Result)}");
            }
            return (output.Result, null);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            return ("", $"'{path}' cannot be run: {e.Message}");
        }
    }

    private static string FirstLine(string text)
    {
        var line = text.TrimStart().Split('\n', 2)[0].Trim();
        return line.Length <= 120 ? line : line[..120] + "…";
    }

    /// <summary>What one binary (its path, size and modification time) was found to lack, if anything.</summary>
    private sealed record Probed(string Path, long Size, DateTime Modified, string? Problem)
    {
        public bool Is(string path, FileInfo file) => Path == path && Size == file.Length && Modified == file.LastWriteTimeUtc;
    }

    private static bool IsExecutable(string file) =>
        File.Exists(file) && (OperatingSystem.IsWindows()
            || (File.GetUnixFileMode(file) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);

    /// <summary>"ffmpeg version 5.1.9-0+deb12u1", "ffmpeg version n7.1", "ffmpeg version 4.3.1-static": major and minor.</summary>
    [GeneratedRegex(@"^ffmpeg version n?(\d+)\.(\d+)(\.\d+)?", RegexOptions.CultureInvariant)]
    private static partial Regex VersionLine();

    /// <summary>"configuration: --prefix=/usr --enable-gpl --enable-libx264 …".</summary>
    [GeneratedRegex(@"(?m)^configuration:(.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex ConfigurationLine();
}
