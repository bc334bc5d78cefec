using System.Net;
using System.Text.Json;
using MediaServer.Testing;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests.Facility;

/// <summary>
/// /readyz on the real server (docs/api.md, "GET /readyz"): ready with every check's state; unready when the recordings disk is
/// full (a 1 MiB tmpfs, filled the way a disk fills) and ready again when space comes back; unready when FFmpeg is missing.
/// </summary>
public sealed class ReadinessTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Readyz_goes_unready_when_the_recordings_disk_fills_and_ready_again_when_space_comes_back()
    {
        await using var disk = await SmallDisk.MountAsync();
        await using var server = await ServerProcess.StartAsync(output, null, new Dictionary<string, string>
        {
            ["MediaServer__Recording__Directory"] = disk.Path,
            ["MediaServer__Recording__ReadyMinFreeBytes"] = "262144", // a quarter of the tmpfs
        });
        var ready = await ReadyAsync(server);
        output.WriteLine("empty disk: " + ready.Body);
        Assert.Equal(HttpStatusCode.OK, ready.Status);
        Assert.Equal("ready", ready.Json.GetProperty("status").GetString());
        var checks = ready.Json.GetProperty("checks");
        Assert.Equal("ok", checks.GetProperty("database").GetString());
        Assert.Equal("ok", checks.GetProperty("recordingsDisk").GetProperty("state").GetString());
        Assert.InRange(checks.GetProperty("recordingsDisk").GetProperty("freeBytes").GetInt64(), 262144, 1024 * 1024);
        Assert.Equal("ok", checks.GetProperty("ffmpeg").GetString());
        Assert.Equal(0, checks.GetProperty("renderBacklog").GetProperty("waiting").GetInt32());
        Assert.True(checks.GetProperty("mediaPorts").GetProperty("freePairs").GetInt32() > 0);
        Assert.DoesNotContain(disk.Path, ready.Body, StringComparison.Ordinal); // states and counts, never a path

        // The disk fills (something else wrote to it): unready, and it says which part.
        var filler = Path.Combine(disk.Path, "filler.bin");
        await FillAsync(filler);
        var full = await Poll.UntilAsync(() => ReadyAsync(server), r => r.Status == HttpStatusCode.ServiceUnavailable, Settle, "/readyz to answer 503");
        output.WriteLine("full disk: " + full.Body);
        Assert.Equal("unready", full.Json.GetProperty("status").GetString());
        Assert.Equal("full", full.Json.GetProperty("checks").GetProperty("recordingsDisk").GetProperty("state").GetString());
        // Liveness is another question: the process is fine.
        Assert.Equal(HttpStatusCode.OK, (await server.Api.SendAsync(HttpMethod.Get, "healthz", token: null)).Status);

        File.Delete(filler);
        var again = await Poll.UntilAsync(() => ReadyAsync(server), r => r.Status == HttpStatusCode.OK, Settle, "/readyz to be ready again");
        Assert.Equal("ok", again.Json.GetProperty("checks").GetProperty("recordingsDisk").GetProperty("state").GetString());
    }

    [Fact]
    public async Task Readyz_is_unready_while_ffmpeg_cannot_be_run()
    {
        await using var server = await ServerProcess.StartAsync(output, null, new Dictionary<string, string>
        {
            ["MediaServer__Recording__FfmpegPath"] = "/nonexistent/bin/ffmpeg",
        });
        var answer = await ReadyAsync(server);
        output.WriteLine(answer.Body);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.Status);
        Assert.Equal("missing", answer.Json.GetProperty("checks").GetProperty("ffmpeg").GetString());
        Assert.Equal("ok", answer.Json.GetProperty("checks").GetProperty("recordingsDisk").GetProperty("state").GetString());
        Assert.DoesNotContain("nonexistent", answer.Body, StringComparison.Ordinal);
    }

    private static async Task<(HttpStatusCode Status, string Body, JsonElement Json)> ReadyAsync(ServerProcess server)
    {
        var response = await server.Api.SendAsync(HttpMethod.Get, "readyz", token: null);
        return (response.Status, response.Body, JsonDocument.Parse(response.Body).RootElement.Clone());
    }

    /// <summary>Writes zeros to <paramref name="path"/> until the disk refuses (ENOSPC).</summary>
    private static async Task FillAsync(string path)
    {
        var block = new byte[64 * 1024];
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 0);
        try
        {
            while (true)
            {
                await file.WriteAsync(block);
                await file.FlushAsync();
            }
        }
        catch (IOException)
        {
            // Full.
        }
    }
}
