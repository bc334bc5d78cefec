using System.Diagnostics;

namespace MediaServer.IntegrationTests.Harness;

/// <summary>
/// A long-running child (the server, an FFmpeg peer): stdout and stderr go to a ring buffer, and disposing kills the
/// whole process tree so no test leaves a listener behind.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private bool _disposed;
    private int? _exitCodeAtDispose;

    private ChildProcess(string name, Process process, OutputRing output)
    {
        Name = name;
        _process = process;
        Output = output;
    }

    public string Name { get; }

    public int Id { get; private init; }

    public string CommandLine { get; private init; } = "";

    public OutputRing Output { get; }

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
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
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

        var output = new OutputRing(ringCapacity);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                output.Add(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                output.Add("! " + e.Data);
            }
        };
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {fileName}");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ChildProcess(name, process, output)
        {
            Id = process.Id,
            CommandLine = fileName + " " + string.Join(' ', info.ArgumentList.Select(Quote)),
        };
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
        _process.Dispose();
    }

    private static string Quote(string argument) =>
        argument.Length > 0 && !argument.Any(char.IsWhiteSpace) && !argument.Contains('\'', StringComparison.Ordinal)
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
