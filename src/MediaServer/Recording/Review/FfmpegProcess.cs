using System.ComponentModel;
using System.Diagnostics;

namespace MediaServer.Recording.Review;

/// <summary>
/// One FFmpeg child, started at low priority: through <c>nice -n 19</c> (and <c>ionice -c 3</c>, the idle I/O class, when
/// present) so that every thread FFmpeg makes inherits it from the start; where there is no nice, its priority is lowered
/// right after it starts. Standard output and error are redirected; the caller reads them.
/// </summary>
internal sealed class FfmpegProcess : IDisposable
{
    private FfmpegProcess(Process process, bool lowered)
    {
        Process = process;
        LowPriority = lowered;
    }

    public Process Process { get; }

    /// <summary>Whether the child runs at low priority (false only when the system allowed neither nice nor setpriority).</summary>
    public bool LowPriority { get; }

    public static FfmpegProcess Start(string ffmpeg, IReadOnlyList<string> arguments, string workingDirectory, bool lowPriority)
    {
        var nice = lowPriority && !OperatingSystem.IsWindows() ? FindOnPath("nice") : null;
        var ionice = nice is not null && OperatingSystem.IsLinux() ? FindOnPath("ionice") : null;
        var info = new ProcessStartInfo
        {
            FileName = nice ?? ffmpeg,
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        if (nice is not null)
        {
            info.ArgumentList.Add("-n");
            info.ArgumentList.Add("19");
            if (ionice is not null)
            {
                info.ArgumentList.Add(ionice);
                info.ArgumentList.Add("-c");
                info.ArgumentList.Add("3");
                info.ArgumentList.Add("-t"); // where the I/O class cannot be set (some containers), run FFmpeg anyway
            }
            info.ArgumentList.Add(ffmpeg);
        }
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        var process = Process.Start(info) ?? throw new ReviewRenderException("FFmpeg could not be started");
        var lowered = nice is not null;
        if (lowPriority && !lowered)
        {
            try
            {
                process.PriorityClass = ProcessPriorityClass.Idle;
                lowered = true;
            }
            catch (Exception e) when (e is Win32Exception or InvalidOperationException or PlatformNotSupportedException)
            {
                // Exited already, or not permitted: it runs at normal priority, bounded by threads and time.
            }
        }
        return new FfmpegProcess(process, lowered);
    }

    /// <summary>Kills FFmpeg and anything it started (a wrapper script's children too).</summary>
    public void KillTree()
    {
        try
        {
            Process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception)
        {
            // Exited on its own meanwhile.
        }
    }

    public void Dispose()
    {
        if (!HasExited())
        {
            KillTree();
        }
        Process.Dispose();
    }

    private bool HasExited()
    {
        try
        {
            return Process.HasExited;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private static string? FindOnPath(string name)
    {
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
