using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace MediaServer.LoadGen;

/// <summary>
/// The real server, started as the integration tests start it (README.md, "Configuration"): <c>dotnet MediaServer.dll --urls ...</c> with a
/// fresh data directory and an RTP port range of our choosing; its output goes to a log file so a full pipe can never stall it.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dll;
    private readonly StreamWriter _log;

    private ServerProcess(Process process, string dll, string dataDirectory, string logPath, StreamWriter log, Uri baseUrl)
    {
        _process = process;
        _dll = dll;
        DataDirectory = dataDirectory;
        LogPath = logPath;
        _log = log;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }
    public string DataDirectory { get; }
    public string LogPath { get; }
    public int Pid => _process.Id;

    public static async Task<ServerProcess> StartAsync(string dll, int portMin, int portMax, IReadOnlyList<string> environment,
        CancellationToken cancellation)
    {
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"No server build at {dll}; build it with `dotnet build -c Release src/MediaServer`.", dll);
        }
        var dataDirectory = Directory.CreateTempSubdirectory("mediaserver-loadgen-").FullName;
        var httpPort = PortRanges.FreeTcpPort();
        var baseUrl = new Uri($"http://127.0.0.1:{httpPort}");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(baseUrl.ToString().TrimEnd('/'));
        SetEnvironment(start, dataDirectory, portMin, portMax);
        foreach (var pair in environment)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            start.Environment[pair[..equals]] = pair[(equals + 1)..];
        }

        var logPath = Path.Combine(dataDirectory, "server.log");
        var log = new StreamWriter(logPath, append: false, Encoding.UTF8) { AutoFlush = true };
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => WriteLine(log, e.Data);
        process.ErrorDataReceived += (_, e) => WriteLine(log, e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException("dotnet did not start.");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerProcess(process, dll, dataDirectory, logPath, log, baseUrl);
        try
        {
            await server.WaitHealthyAsync(TimeSpan.FromSeconds(60), cancellation).ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return server;
    }

    private static void WriteLine(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (log)
        {
            log.WriteLine(line);
        }
    }

    private static void SetEnvironment(ProcessStartInfo start, string dataDirectory, int portMin, int portMax)
    {
        start.Environment["MediaServer__DataDirectory"] = dataDirectory;
        start.Environment["MediaServer__KeyDirectory"] = dataDirectory + "-keys"; // keys never inside the data directory
        start.Environment["MediaServer__Rtp__ListenAddress"] = "127.0.0.1";
        start.Environment["MediaServer__Rtp__PortMin"] = portMin.ToString(CultureInfo.InvariantCulture);
        start.Environment["MediaServer__Rtp__PortMax"] = portMax.ToString(CultureInfo.InvariantCulture);
        start.Environment["MediaServer__Auth__JoinGrace"] = "00:15:00";
        // One officer mints every party's token here; the per-user minting limit (30 a minute) is not what a load run measures.
        start.Environment["MediaServer__Limits__TokenRequests"] = "1000000";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
    }

    private async Task WaitHealthyAsync(TimeSpan timeout, CancellationToken cancellation)
    {
        using var http = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The server exited with code {_process.ExitCode} before it was ready; see {LogPath}.");
            }
            try
            {
                using var response = await http.GetAsync(new Uri("/healthz", UriKind.Relative), cancellation).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellation.IsCancellationRequested)
            {
            }
            await Task.Delay(200, cancellation).ConfigureAwait(false);
        }
        throw new TimeoutException($"The server did not answer /healthz within {timeout.TotalSeconds:0} s; see {LogPath}.");
    }

    /// <summary>Mints a token with the server's own CLI (same key directory, hence the same signing key).</summary>
    public async Task<string> MintTokenAsync(string role, string subject, CancellationToken cancellation)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { _dll, "token", "--role", role, "--sub", subject, "--ttl", "2h" })
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["MediaServer__DataDirectory"] = DataDirectory;
        start.Environment["MediaServer__KeyDirectory"] = DataDirectory + "-keys";
        using var cli = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        var output = cli.StandardOutput.ReadToEndAsync(cancellation);
        var error = cli.StandardError.ReadToEndAsync(cancellation);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await cli.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        var token = (await output.ConfigureAwait(false)).Trim();
        if (cli.ExitCode != 0 || token.Length == 0 || token.Contains('\n', StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The token CLI failed ({cli.ExitCode}): {await error.ConfigureAwait(false)}");
        }
        return token;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
        }
        catch (OperationCanceledException)
        {
        }
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }
}

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
