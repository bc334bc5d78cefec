using System.Diagnostics;
using System.Text;

namespace MediaServer.Testing;

public sealed record ProcessResult(int ExitCode, byte[] Stdout, string Stderr, string CommandLine)
{
    public string StdoutText => Encoding.UTF8.GetString(Stdout);

    public override string ToString() =>
        $"$ {CommandLine}\nexit {ExitCode}\nstdout: {Truncate(StdoutText)}\nstderr: {Truncate(Stderr)}";

    private static string Truncate(string text) => text.Length <= 4000 ? text : text[..2000] + "\n...\n" + text[^2000..];
}

/// <summary>Runs a short-lived tool (the token CLI, ffprobe, an FFmpeg decode) to completion with a deadline.</summary>
public static class ProcessRunner
{
    /// <summary>All three streams redirected, no shell, the arguments one by one (never re-split), the environment over ours.</summary>
    public static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment, string? workingDirectory)
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
        return info;
    }

    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null)
    {
        var info = ProcessRunner.StartInfo(fileName, arguments, environment, workingDirectory);

        var commandLine = fileName + " " + string.Join(' ', info.ArgumentList);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}");
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout);
        var stdout = new MemoryStream();
        var stdoutTask = process.StandardOutput.BaseStream.CopyToAsync(stdout, cts.Token);
        var stderrTask = process.StandardError.ReadToEndAsync(cts.Token);
        try
        {
            await process.WaitForExitAsync(cts.Token);
            await stdoutTask;
            var stderr = await stderrTask;
            return new ProcessResult(process.ExitCode, stdout.ToArray(), stderr, commandLine);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{commandLine} did not finish within {timeout}");
        }
    }
}
