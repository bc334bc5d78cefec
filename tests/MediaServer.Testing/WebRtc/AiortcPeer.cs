using System.Globalization;
using System.Text.Json;

namespace MediaServer.Testing.WebRtc;

/// <summary>The JSON line Peers/aiortc_peer.py prints.</summary>
public sealed record AiortcResult(bool Ok, string? Kind, int? Status, long FramesReceived, long FramesSent, double? FirstFrameMs,
    double? FirstFrameAfterConnectedMs, double? ConnectedMs, string? ConnectionState, string? Detail, string? Error);

/// <summary>Debian's aiortc on Debian's python (docs/peers.md): one kind per connection.</summary>
public static class AiortcPeer
{
    public const string Python = "/usr/bin/python3";

    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    public static ChildProcess Start(Uri server, string visitId, string token, string kind, double seconds)
    {
        if (!File.Exists(Python))
        {
            throw new InvalidOperationException($"{Python} is missing: run scripts/setup.sh --test.");
        }
        return ChildProcess.Start($"aiortc-{kind}", Python,
            [Path.Combine(AppContext.BaseDirectory, "Peers", "aiortc_peer.py"), server.ToString().TrimEnd('/'), visitId, token, kind,
                seconds.ToString(CultureInfo.InvariantCulture)],
            new Dictionary<string, string>
            {
                ["PYTHONUNBUFFERED"] = "1",
                // WEBRTC_TESTS_AIORTC_DEBUG=1 makes the script log aiortc's packet routing and both SDPs to stderr.
                ["AIORTC_PEER_DEBUG"] = Environment.GetEnvironmentVariable("WEBRTC_TESTS_AIORTC_DEBUG") ?? "",
            });
    }

    /// <summary>Waits for the script and reads its result line; the process output goes into the exception when there is none.</summary>
    public static async Task<AiortcResult> ResultAsync(ChildProcess process, TimeSpan timeout)
    {
        await process.WaitForExitCodeAsync(timeout);
        var line = process.StandardOutput.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith('{'));
        if (line is null)
        {
            throw new InvalidOperationException($"aiortc printed no result (exit {process.ExitCode}).\n{process.Describe()}");
        }
        return JsonSerializer.Deserialize<AiortcResult>(line, Json)!;
    }
}
