using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using MediaServer.Testing;
using MediaServer.Testing.Rtp;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests;

/// <summary>
/// Restarts and kiosk app restarts do not end a visit (issue 11, items 3 and 5), through the real server: after SIGKILL or
/// SIGTERM the live visit is live again, both parties rejoin with their tokens and media flows; SIGTERM drains (roster polls
/// answered 503 restarting with Retry-After: 1) and exits 0 within 10 s with the journal sealed; a plain-RTP kiosk that comes
/// back from new ports is re-latched by its own re-join, in the same visit and the same recording tracks.
/// </summary>
public sealed class RestartTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_live_visit_is_live_again_after_a_restart_and_its_parties_rejoin_with_their_tokens(bool kill)
    {
        var server = await ServerProcess.StartAsync(output);
        var root = server.RootDirectory;
        ServerProcess? restarted = null;
        try
        {
            var now = DateTimeOffset.UtcNow;
            var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: now, end: now.AddMinutes(5));
            await using (var kiosk = new RtpParty("kiosk", 1))
            await using (var visitor = new RtpParty("visitor1", 2))
            {
                await visit.JoinAndRelayAsync(kiosk, visitor);
                Assert.Equal("live", (await visit.GetAsync()).State);
                if (kill)
                {
                    await server.KillAsync();
                }
                else
                {
                    await DrainAsync(server, visit);
                }
            }

            restarted = await ServerProcess.StartAsync(output, root, null);
            var healthy = Stopwatch.StartNew();
            var officer = visit.OfficerToken;
            // Live again, before any party is back: not ended for want of legs, not scheduled.
            Assert.Equal("live", (await restarted.Api.GetVisitAsync(officer, visit.Id)).State);
            await using (var kiosk = new RtpParty("kiosk", 1))
            await using (var visitor = new RtpParty("visitor1", 2))
            {
                var kioskLeg = await restarted.Api.JoinAsync(visit.KioskToken, visit.Id, kiosk.OfferSdp);
                var visitorLeg = await restarted.Api.JoinAsync(visit.VisitorToken(1), visit.Id, visitor.OfferSdp);
                kiosk.StartSending(kioskLeg.AnswerSdp);
                visitor.StartSending(visitorLeg.AnswerSdp);
                await visitor.VideoIn.WaitForRtpAsync(1, TimeSpan.FromSeconds(20), "kiosk video after the restart");
                await kiosk.VideoIn.WaitForRtpAsync(1, TimeSpan.FromSeconds(20), "visitor video after the restart");
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"RECOVERY {(kill ? "SIGKILL" : "SIGTERM")}: /healthz answered -> media both ways in {healthy.Elapsed.TotalMilliseconds:0} ms"));
                await visitor.VideoIn.WaitForRtpAsync(60, TimeSpan.FromSeconds(20), "two seconds of kiosk video after the restart");
                Assert.Equal("live", (await restarted.Api.GetVisitAsync(officer, visit.Id)).State);
                await restarted.Api.TerminateAsync(officer, visit.Id, "restart test");
            }

            var audit = await restarted.Api.GetAuditAsync(await restarted.MintTokenAsync("admin", "admin-1"));
            Assert.Contains(audit, e => e.Action == "visit.resumed" && e.Target == "visit/" + visit.Id);
            Assert.Contains(audit, e => e.Action == "server.start" && e.Outcome!.Contains("1 live visit", StringComparison.Ordinal));
            Assert.Equal(kill ? 0 : 1, audit.Count(e => e.Action == "server.drain"));
            Assert.DoesNotContain(audit, e => e.Action == "visit.end" && e.Target == "visit/" + visit.Id);

            var investigator = await restarted.MintTokenAsync("investigator", "inv-1");
            var recording = await Poll.UntilAsync(() => GetJsonAsync(restarted, investigator, $"api/recordings/{visit.Id}"),
                r => r.ValueKind == JsonValueKind.Object && r.GetProperty("recording").GetProperty("state").GetString() is "rendered" or "render_failed",
                TimeSpan.FromSeconds(240), "the recording to be rendered", TimeSpan.FromMilliseconds(250));
            var manifest = recording.GetProperty("manifest");
            var segments = manifest.GetProperty("segments").EnumerateArray().ToList();
            Assert.Equal(2, segments.Count);
            // SIGTERM sealed the first segment itself: the next start had no torn tail to recover.
            Assert.Equal(kill ? "recovered" : "sealed", segments[0].GetProperty("state").GetString());
            Assert.Single(manifest.GetProperty("segmentGaps").EnumerateArray());
            var verify = await GetJsonAsync(restarted, investigator, $"api/recordings/{visit.Id}/verify");
            Assert.True(verify.GetProperty("ok").GetBoolean(), "the recording does not verify: " + verify);
        }
        finally
        {
            if (restarted is not null)
            {
                await restarted.DisposeAsync();
            }
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_kiosk_that_comes_back_from_new_ports_is_relatched_by_its_rejoin_in_the_same_visit_and_tracks()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: DateTimeOffset.UtcNow);
        await using var visitor = new RtpParty("visitor1", 2);
        await using (var kiosk = new RtpParty("kiosk", 1))
        {
            await visit.JoinAndRelayAsync(kiosk, visitor);
            await kiosk.StopSendingAsync();
        }
        // The kiosk app restarts: new sockets, new source ports, a new SSRC; its own re-join with the same token.
        await using var again = new RtpParty("kiosk", 3);
        var before = visitor.VideoIn.Packets.Count;
        var leg = await server.Api.JoinAsync(visit.KioskToken, visit.Id, again.OfferSdp);
        again.StartSending(leg.AnswerSdp);
        await visitor.VideoIn.WaitForRtpAsync(before + 60, TimeSpan.FromSeconds(20), "the restarted kiosk's video at the visitor");
        await again.VideoIn.WaitForRtpAsync(30, TimeSpan.FromSeconds(20), "the visitor's video at the restarted kiosk");
        Assert.Equal("live", (await visit.GetAsync()).State);
        await server.Api.TerminateAsync(visit.OfficerToken, visit.Id, "kiosk restart test");

        var investigator = await server.MintTokenAsync("investigator", "inv-1");
        var recording = await Poll.UntilAsync(() => GetJsonAsync(server, investigator, $"api/recordings/{visit.Id}"),
            r => r.ValueKind == JsonValueKind.Object && r.GetProperty("recording").GetProperty("state").GetString() is "rendered" or "render_failed",
            TimeSpan.FromSeconds(240), "the recording to be rendered", TimeSpan.FromMilliseconds(250));
        var tracks = recording.GetProperty("manifest").GetProperty("tracks").EnumerateArray().ToList();
        output.WriteLine(string.Join("\n", tracks));
        // Two parties, video and audio each: the kiosk's re-join continued its tracks rather than adding two.
        Assert.Equal(4, tracks.Count);
        var verify = await GetJsonAsync(server, investigator, $"api/recordings/{visit.Id}/verify");
        Assert.True(verify.GetProperty("ok").GetBoolean(), "verify: " + verify);
    }

    /// <summary>SIGTERM, then: a roster poll answered 503 restarting with Retry-After: 1, and exit code 0 within 10 s.</summary>
    private async Task DrainAsync(ServerProcess server, VisitScenario visit)
    {
        var sent = await ProcessRunner.RunAsync("kill", ["-TERM", server.Process.Id.ToString(CultureInfo.InvariantCulture)],
            TimeSpan.FromSeconds(10), new Dictionary<string, string>(), null);
        Assert.Equal(0, sent.ExitCode);
        var stopping = Stopwatch.StartNew();
        server.KeepRootDirectory = true;
        var roster = await Poll.UntilAsync(() => server.Api.RosterRawAsync(visit.KioskToken, visit.Id),
            r => r.Status == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(5), "a roster poll during the drain",
            TimeSpan.FromMilliseconds(100));
        output.WriteLine("roster during the drain: " + roster);
        Assert.Equal("/problems/restarting", roster.Problem!.Type);
        using (var request = new HttpRequestMessage(HttpMethod.Post, $"api/visits/{visit.Id}/join"))
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", visit.KioskToken);
            request.Content = new StringContent("v=0\r\n", System.Text.Encoding.ASCII, "application/sdp");
            using var join = await server.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, join.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), join.Headers.RetryAfter?.Delta);
        }
        Assert.True(await server.Process.WaitForExitAsync(TimeSpan.FromSeconds(10)), "the server did not exit within 10 s of SIGTERM");
        output.WriteLine($"exited {stopping.ElapsedMilliseconds} ms after SIGTERM with {server.Process.ExitCode}");
        Assert.Equal(0, server.Process.ExitCode);
        Assert.Contains("Draining", server.Log, StringComparison.Ordinal);
    }

    private static async Task<JsonElement> GetJsonAsync(ServerProcess server, string token, string path)
    {
        var response = await server.Api.SendAsync(HttpMethod.Get, path, token);
        return response.Status == HttpStatusCode.OK ? JsonDocument.Parse(response.Body).RootElement.Clone() : default;
    }
}
