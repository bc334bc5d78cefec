using System.Diagnostics;

namespace MediaServer.Tests.Recording.Review;

/// <summary>Runs FFmpeg's command-line tools with an argument list; a process still running at the timeout is killed.</summary>
internal static class MediaTool
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Process Start(string fileName, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"{fileName} did not start");
    }

    public static async Task<Result> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout)
    {
        using var process = Start(fileName, arguments);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} ran longer than {timeout}");
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
