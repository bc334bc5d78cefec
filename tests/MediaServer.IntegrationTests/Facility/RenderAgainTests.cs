using System.Net;
using System.Text.Json;
using MediaServer.Testing;
using MediaServer.Testing.Rtp;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests.Facility;

/// <summary>
/// A wrong MediaServer:Recording:FfmpegPath: noticed at start (the log, /healthz degraded), the recording ends render_failed,
/// and an admin's POST /api/recordings/{id}/render queues it for another attempt (audited; officers refused); once the path is
/// fixed and the server restarted, one more such request turns it into a rendered recording that verifies.
/// </summary>
public sealed class RenderAgainTests(ITestOutputHelper output)
{
    private const string MissingFfmpeg = "/nonexistent/bin/ffmpeg";

    // Renders run at nice 19 behind the relay; on a loaded 2-core machine a failed attempt still takes a moment to be recorded.
    private static readonly TimeSpan RenderTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_missing_ffmpeg_is_reported_at_start_and_a_render_failed_recording_can_be_queued_again()
    {
        await using var server = await ServerProcess.StartAsync(output, null, new Dictionary<string, string>
        {
            ["MediaServer__Recording__FfmpegPath"] = MissingFfmpeg,
            ["MediaServer__Recording__RenderAttempts"] = "1",
        });
        using (var health = JsonDocument.Parse(await server.Http.GetStringAsync(new Uri("healthz", UriKind.Relative))))
        {
            Assert.Equal("degraded", health.RootElement.GetProperty("status").GetString());
            Assert.Equal("missing", health.RootElement.GetProperty("ffmpeg").GetString());
        }
        Assert.Contains($"FFmpeg cannot render review copies: MediaServer:Recording:FfmpegPath '{MissingFfmpeg}' is not an executable file", server.Log, StringComparison.Ordinal);

        var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: DateTimeOffset.UtcNow, end: DateTimeOffset.UtcNow.AddMinutes(5));
        await using (var kiosk = new RtpParty("kiosk", 1))
        await using (var visitor = new RtpParty("visitor", 2))
        {
            await visit.JoinAndRelayAsync(kiosk, visitor);
            await server.Api.TerminateAsync(visit.OfficerToken, visit.Id, "render again test");
        }
        var admin = await server.MintTokenAsync("admin", "ops-render");
        await WaitForStateAsync(server, admin, visit.Id, "render_failed");
        Assert.Equal(1, (await server.Api.GetMetricsAsync()).Series["mediaserver_recording_render_failures_total"]);

        var refused = await server.Api.SendAsync(HttpMethod.Post, $"api/recordings/{visit.Id}/render", visit.OfficerToken);
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        var missing = await server.Api.SendAsync(HttpMethod.Post, "api/recordings/no-such-visit/render", admin);
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);

        var queued = await server.Api.SendAsync(HttpMethod.Post, $"api/recordings/{visit.Id}/render", admin);
        Assert.True(queued.Status == HttpStatusCode.Accepted, queued.ToString());
        // FFmpeg is still missing: the second attempt runs and fails too, which shows it was queued.
        await Poll.UntilAsync(async () => (await server.Api.GetMetricsAsync()).Series["mediaserver_recording_render_failures_total"], n => n >= 2,
            RenderTimeout, "the second render attempt", TimeSpan.FromMilliseconds(250));
        await WaitForStateAsync(server, admin, visit.Id, "render_failed");
        var again = await server.Api.SendAsync(HttpMethod.Post, $"api/recordings/{visit.Id}/render", admin);
        Assert.True(again.Status == HttpStatusCode.Accepted, again.ToString());

        var audit = await server.Api.GetAuditAsync(admin);
        Assert.Equal(2, audit.Count(e => e.Action == "recording.render" && e.Outcome == "ok" && e.Target == "recording/" + visit.Id));
        Assert.Contains(audit, e => e.Action == "recording.render" && e.Outcome == "refused: not found");

        // The operator fixes the path and restarts the server on the same data: asked once more, the recording is rendered.
        await WaitForStateAsync(server, admin, visit.Id, "render_failed");
        await server.StopGracefullyAsync();
        await using var fixedServer = await server.StartAgainAsync(new Dictionary<string, string> { ["MediaServer__Recording__FfmpegPath"] = "ffmpeg" });
        using (var health = JsonDocument.Parse(await fixedServer.Http.GetStringAsync(new Uri("healthz", UriKind.Relative))))
        {
            Assert.Equal("ok", health.RootElement.GetProperty("status").GetString());
        }
        var last = await fixedServer.Api.SendAsync(HttpMethod.Post, $"api/recordings/{visit.Id}/render", admin);
        Assert.True(last.Status == HttpStatusCode.Accepted, last.ToString());
        await WaitForStateAsync(fixedServer, admin, visit.Id, "rendered");
        var review = await fixedServer.Api.SendAsync(HttpMethod.Get, $"api/recordings/{visit.Id}/verify", admin);
        Assert.True(review.Status == HttpStatusCode.OK && JsonDocument.Parse(review.Body).RootElement.GetProperty("ok").GetBoolean(), review.ToString());
    }

    private static Task<string?> WaitForStateAsync(ServerProcess server, string token, string visitId, string state) =>
        Poll.UntilAsync(
            async () =>
            {
                var response = await server.Api.SendAsync(HttpMethod.Get, $"api/recordings/{visitId}", token);
                return response.Status == HttpStatusCode.OK
                    ? JsonDocument.Parse(response.Body).RootElement.GetProperty("recording").GetProperty("state").GetString()
                    : response.ToString();
            },
            s => s == state, RenderTimeout, $"recording {visitId} to be {state}", TimeSpan.FromMilliseconds(250));
}
