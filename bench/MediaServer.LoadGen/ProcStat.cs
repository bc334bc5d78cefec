using System.Diagnostics;
using System.Globalization;

namespace MediaServer.LoadGen;

/// <summary>CPU time and memory of a process, from /proc (Linux).</summary>
internal static class ProcStat
{
    private static readonly long ClockTicksPerSecond = ReadClockTicks();

    /// <summary>utime + stime of <paramref name="pid"/>, or null when /proc cannot tell.</summary>
    public static TimeSpan? CpuTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Field 2 (comm) is in parentheses and may hold spaces: count fields from the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // fields[0] is field 3 (state); utime and stime are fields 14 and 15 (proc(5)).
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / (double)ClockTicksPerSecond);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>VmRSS and VmHWM (peak) in bytes, or nulls.</summary>
    public static (long? Rss, long? Peak) Memory(int pid)
    {
        long? rss = null, peak = null;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = Kilobytes(line);
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    peak = Kilobytes(line);
                }
            }
        }
        catch (IOException)
        {
        }
        return (rss, peak);

        static long Kilobytes(string line) =>
            1024 * long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    /// <summary>The 1-minute load average: how many threads wanted the machine's cores besides us.</summary>
    public static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    /// <summary>Kernel UDP counters (RcvbufErrors, SndbufErrors, InErrors) from /proc/net/snmp: loss the kernel took.</summary>
    public static Dictionary<string, long> UdpCounters()
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        try
        {
            var lines = File.ReadAllLines("/proc/net/snmp").Where(l => l.StartsWith("Udp:", StringComparison.Ordinal)).ToArray();
            if (lines.Length >= 2)
            {
                var names = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var values = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                for (var i = 1; i < Math.Min(names.Length, values.Length); i++)
                {
                    result[names[i]] = long.Parse(values[i], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }
        return result;
    }

    private static long ReadClockTicks()
    {
        // USER_HZ is 100 on every Linux architecture .NET runs on; getconf confirms it when present.
        try
        {
            using var getconf = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true, UseShellExecute = false });
            if (getconf is not null && long.TryParse(getconf.StandardOutput.ReadToEnd().Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var hz) && hz > 0)
            {
                getconf.WaitForExit();
                return hz;
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }
        return 100;
    }
}
