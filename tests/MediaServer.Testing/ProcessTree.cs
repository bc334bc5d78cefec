using System.Globalization;

namespace MediaServer.Testing;

/// <summary>
/// Reads the process tree from /proc so a test can make sure what it started is gone: Playwright starts Chromium through its
/// node driver, and a Chromium that outlives its driver would be re-parented out of our sight.
/// </summary>
public static class ProcessTree
{
    public readonly record struct Entry(int Pid, int ParentPid, long StartTicks, string Executable);

    public static List<Entry> Snapshot()
    {
        var entries = new List<Entry>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                // proc(5): "pid (comm) state ppid …"; comm may hold spaces and parentheses, so split after the last ')'.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
                var start = long.Parse(fields[19], CultureInfo.InvariantCulture);
                string executable;
                try
                {
                    executable = new FileInfo(Path.Combine(directory, "exe")).LinkTarget ?? "";
                }
                catch (UnauthorizedAccessException)
                {
                    executable = "";
                }
                entries.Add(new Entry(pid, parent, start, executable));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                // Gone while we looked.
            }
        }
        return entries;
    }

    /// <summary>Every descendant of <paramref name="root"/> (not the root itself).</summary>
    public static List<Entry> Descendants(int root)
    {
        var all = Snapshot();
        var byParent = all.ToLookup(e => e.ParentPid);
        var result = new List<Entry>();
        var queue = new Queue<int>([root]);
        while (queue.Count > 0)
        {
            foreach (var child in byParent[queue.Dequeue()])
            {
                result.Add(child);
                queue.Enqueue(child.Pid);
            }
        }
        return result;
    }

    public static bool IsAlive(Entry entry) =>
        Snapshot().Any(e => e.Pid == entry.Pid && e.StartTicks == entry.StartTicks);

    /// <summary>Kills the given processes if they are still the same processes (pid and start time), by id.</summary>
    public static int KillSurvivors(IEnumerable<Entry> entries)
    {
        var killed = 0;
        var alive = Snapshot().ToDictionary(e => e.Pid);
        foreach (var entry in entries)
        {
            if (alive.TryGetValue(entry.Pid, out var now) && now.StartTicks == entry.StartTicks)
            {
                try
                {
                    using var process = System.Diagnostics.Process.GetProcessById(entry.Pid);
                    process.Kill(entireProcessTree: true);
                    killed++;
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                {
                    // Exited meanwhile.
                }
            }
        }
        return killed;
    }
}
