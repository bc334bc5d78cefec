using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace MediaServer.Testing;

/// <summary>
/// A long-running child (the server, an FFmpeg peer, aiortc): stdout and stderr go to a ring buffer (both, in order) and to
/// one bounded text each (for peers whose result is what they print), and disposing kills the whole process tree so no test
/// leaves a listener behind.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    /// <summary>Bounded: a chatty peer must not grow the test's memory without end.</summary>
    private const int MaxTextLength = 4_000_000;

    /// <summary>
    /// Every child not yet disposed. When this process ends without disposing them (a SIGTERM from the bench's trap, a test
    /// host torn down), the exit handler kills them, so no server or peer outlives its parent holding ports and a core.
    /// </summary>
    private static readonly HashSet<ChildProcess> Live = [];

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private static bool s_exitHandlerInstalled;
    private static PosixSignalRegistration[]? s_signals;
    private bool _disposed;
    private int? _exitCodeAtDispose;

    private ChildProcess(string name, Process process, OutputRing output)
    {
        Name = name;
        _process = process;
        Output = output;
    }

    public string Name { get; }

    public int Id { get; private set; }

    public string CommandLine { get; private init; } = "";

    public OutputRing Output { get; }

    /// <summary>Everything the process printed on stdout so far (up to 4 MB).</summary>
    public string StandardOutput
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>Everything the process printed on stderr so far (up to 4 MB).</summary>
    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public bool HasExited => _disposed || _process.HasExited;

    public int? ExitCode => _disposed ? _exitCodeAtDispose : _process.HasExited ? _process.ExitCode : null;

    public static ChildProcess Start(
        string name,
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null,
        int ringCapacity = 2000)
    {
        var info = ProcessRunner.StartInfo(fileName, arguments, environment, workingDirectory);

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process, new OutputRing(ringCapacity))
        {
            CommandLine = fileName + " " + string.Join(' ', info.ArgumentList.Select(Quote)),
        };
        process.OutputDataReceived += (_, e) => child.Append(child._stdout, e.Data, "");
        process.ErrorDataReceived += (_, e) => child.Append(child._stderr, e.Data, "! ");
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {fileName}");
        }

        child.Id = process.Id;
        Track(child);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private static void Track(ChildProcess child)
    {
        lock (Live)
        {
            if (Live.Count == 0 && !s_exitHandlerInstalled)
            {
                AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAllLive();
                // A signal's default ends the process without ProcessExit when nothing handles it; these kill first and
                // then let the default go on (the context is not cancelled).
                s_signals = [
                    PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => KillAllLive()),
                    PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => KillAllLive()),
                ];
                s_exitHandlerInstalled = true;
            }

            Live.Add(child);
        }
    }

    private static void KillAllLive()
    {
        ChildProcess[] children;
        lock (Live)
        {
            children = [.. Live];
        }

        foreach (var child in children)
        {
            child.Kill();
        }
    }

    private void Append(StringBuilder text, string? line, string ringPrefix)
    {
        if (line is null)
        {
            return;
        }

        Output.Add(ringPrefix + line);
        lock (text)
        {
            if (text.Length < MaxTextLength)
            {
                text.AppendLine(line);
            }
        }
    }

    /// <summary>Waits for the process to exit by itself; returns false when it is still running at the deadline.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        if (_disposed)
        {
            return true;
        }

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            // Also waits for the redirected streams to reach end of file, so Output is complete afterwards.
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Waits for the process to exit by itself and returns its exit code; throws with its output when it does not in time.</summary>
    public async Task<int> WaitForExitCodeAsync(TimeSpan timeout)
    {
        if (!await WaitForExitAsync(timeout))
        {
            throw new TimeoutException($"{Name} did not exit within {timeout.TotalSeconds:0.#} s.\n{Describe()}");
        }

        return ExitCode ?? -1;
    }

    /// <summary>Asks an FFmpeg to finish its file cleanly ('q' on stdin), then kills it if it does not within the grace.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (HasExited)
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

        if (!await WaitForExitAsync(grace))
        {
            Kill();
        }
    }

    public void Kill()
    {
        if (_disposed)
        {
            return;
        }

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

    /// <summary>A block for test output: the command, exit state and the retained output.</summary>
    public string Describe(int maxLines = 200)
    {
        var state = HasExited ? $"exited with {ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}" : "still running";
        return $"--- {Name} (pid {Id}, {state}) ---\n$ {CommandLine}\n{Output.Render(maxLines)}\n--- end {Name} ---";
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        Kill();
        await WaitForExitAsync(TimeSpan.FromSeconds(5));
        _exitCodeAtDispose = _process.HasExited ? _process.ExitCode : null;
        _disposed = true;
        lock (Live)
        {
            Live.Remove(this);
        }

        _process.Dispose();
    }

    private static string Quote(string argument) =>
        argument.Length > 0 && !argument.Any(char.IsWhiteSpace) && !argument.Contains('\'', StringComparison.Ordinal)
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
