using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using MediaServer.Testing;
using MediaServer.Testing.Rtp;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests;

/// <summary>
/// Restarts do not end a visit, through the real server: a plain-RTP kiosk that comes back from new ports (its app restarted)
/// is re-latched by its own re-join, in the same visit and the same recording tracks; SIGTERM drains (<see cref="DrainAsync"/>,
/// used by RecordingSegmentTests' restart test, where the visit stays live and its parties rejoin after SIGKILL and SIGTERM).
/// </summary>
public sealed class RestartTests(ITestOutputHelper output)
{
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
        var recording = await Poll.UntilAsync(() => server.Api.TryGetJsonAsync(investigator, $"api/recordings/{visit.Id}"),
            r => r.ValueKind == JsonValueKind.Object && r.GetProperty("recording").GetProperty("state").GetString() is "rendered" or "render_failed",
            TimeSpan.FromSeconds(240), "the recording to be rendered", TimeSpan.FromMilliseconds(250));
        var tracks = recording.GetProperty("manifest").GetProperty("tracks").EnumerateArray().ToList();
        output.WriteLine(string.Join("\n", tracks));
        // Two parties, video and audio each: the kiosk's re-join continued its tracks rather than adding two.
        Assert.Equal(4, tracks.Count);
        var verify = await server.Api.GetJsonAsync(investigator, $"api/recordings/{visit.Id}/verify");
        Assert.True(verify.GetProperty("ok").GetBoolean(), "verify: " + verify);
    }

    /// <summary>SIGTERM, then: a roster poll and a join answered 503 restarting with Retry-After: 1, and exit code 0 within 10 s.</summary>
    internal static async Task DrainAsync(ServerProcess server, VisitScenario visit, ITestOutputHelper output)
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

}
