using System.Diagnostics;
using System.Text;

namespace MediaServer.WebRtcTests.Harness;

/// <summary>
/// A child process this test started (server, ffmpeg, python): output kept for the test log, and the whole process tree killed
/// when the test ends, whatever happened.
/// </summary>
internal sealed class ExternalProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Lock _gate = new();

    public string Name { get; }

    private ExternalProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string StandardOutput
    {
        get
        {
            lock (_gate)
            {
                return _stdout.ToString();
            }
        }
    }

    public string StandardError
    {
        get
        {
            lock (_gate)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Both streams, for a failure message.</summary>
    public string Output => $"--- {Name} stdout ---\n{StandardOutput}\n--- {Name} stderr ---\n{StandardError}";

    public static ExternalProcess Start(string name, string fileName, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Directory.GetCurrentDirectory(),
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                info.Environment[key] = value;
            }
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var wrapper = new ExternalProcess(name, process);
        process.OutputDataReceived += (_, e) => wrapper.Append(wrapper._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => wrapper.Append(wrapper._stderr, e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"{name}: could not start {fileName}.");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return wrapper;
    }

    private void Append(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_gate)
        {
            // Bounded: a chatty peer must not grow the test's memory without end.
            if (buffer.Length < 4_000_000)
            {
                buffer.AppendLine(line);
            }
        }
    }

    /// <summary>Waits for the process to exit; throws with its output when it does not within <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name} did not exit within {timeout.TotalSeconds:0.#} s.\n{Output}");
        }
        // The parameterless wait also drains the redirected streams.
        await _process.WaitForExitAsync();
        return _process.ExitCode;
    }

    /// <summary>Asks an ffmpeg to finish its file cleanly ('q' on stdin), then kills it if it does not within the grace.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }
        try
        {
            await _process.StandardInput.WriteAsync("q");
            await _process.StandardInput.FlushAsync();
        }
        catch (IOException)
        {
            // It is already on its way out.
        }
        try
        {
            await WaitForExitAsync(grace);
        }
        catch (TimeoutException)
        {
            Kill();
        }
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            // Reported by the caller's process check; nothing more can be done here.
        }
        _process.Dispose();
    }
}
