using System.ComponentModel;
using System.Diagnostics;

namespace MediaServer.Recording.Review;

/// <summary>
/// One FFmpeg child, started at low priority: through <c>chrt --idle 0</c> (Linux's SCHED_IDLE policy, sched(7): it runs
/// only on CPU time no other thread wants, so a render cannot delay the relay's threads however many it keeps busy) where
/// the system lets this user set it, <c>nice -n 19</c> and <c>ionice -c 3</c> (the idle I/O class) when present, so that
/// every thread FFmpeg makes inherits them from the start; where there is no nice, its priority is lowered right after it
/// starts. Standard output and error are redirected; the caller reads them.
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

    /// <summary><c>chrt</c>'s path when it can put a child under SCHED_IDLE here (tried once: some containers refuse it).</summary>
    private static readonly Lazy<string?> IdleScheduler = new(FindIdleScheduler);

    /// <summary>Whether renders run under SCHED_IDLE on this system.</summary>
    public static bool IdleScheduling => IdleScheduler.Value is not null;

    public static FfmpegProcess Start(string ffmpeg, IReadOnlyList<string> arguments, string workingDirectory, bool lowPriority)
    {
        var nice = lowPriority && !OperatingSystem.IsWindows() ? FindOnPath("nice") : null;
        var ionice = nice is not null && OperatingSystem.IsLinux() ? FindOnPath("ionice") : null;
        var chrt = nice is not null ? IdleScheduler.Value : null;
        var info = new ProcessStartInfo
        {
            FileName = chrt ?? nice ?? ffmpeg,
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        if (chrt is not null)
        {
            info.ArgumentList.Add("--idle");
            info.ArgumentList.Add("0");
            info.ArgumentList.Add(nice!);
        }
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

    private static string? FindIdleScheduler()
    {
        if (!OperatingSystem.IsLinux() || FindOnPath("chrt") is not { } chrt || FindOnPath("true") is not { } yes)
        {
            return null;
        }
        try
        {
            var info = new ProcessStartInfo(chrt) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var argument in new[] { "--idle", "0", yes })
            {
                info.ArgumentList.Add(argument);
            }
            using var probe = Process.Start(info);
            if (probe is null || !probe.WaitForExit(5000))
            {
                probe?.Kill();
                return null;
            }
            return probe.ExitCode == 0 ? chrt : null;
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException)
        {
            return null;
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
