using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using MediaServer.Testing;
using MediaServer.Testing.Ffmpeg;
using MediaServer.WebRtcTests.Harness;

namespace MediaServer.WebRtcTests;

/// <summary>A finished recording of a real visit, and the investigator token that opens it.</summary>
internal sealed record ReviewRecording(string VisitId, string InvestigatorToken, string? FlagNote, JsonElement Summary)
{
    public string State => Summary.GetProperty("state").GetString()!;

    /// <summary>
    /// Records a real visit: two plain-RTP FFmpeg parties (kiosk and visitor) send for a few seconds, an officer flags a moment
    /// when the server has a flags endpoint, the officer terminates the visit, and the recording is waited for until it is
    /// finished (rendered, or render_failed while no renderer is configured).
    /// </summary>
    public static async Task<ReviewRecording> MakeAsync(Scenario scenario, string flagNote)
    {
        var server = scenario.Server;
        // Every token first: the token CLI is a process start, slow on a busy machine, and the visit should be a few seconds.
        var admin = await server.MintTokenAsync("admin", "ops");
        var officer = await server.MintTokenAsync("officer", "officer-7");
        var investigator = await server.MintTokenAsync("investigator", "inv-5");
        var visit = await scenario.Api.CreateVisitAsync(visitors: 1);
        var kiosk = scenario.Own(new FfmpegLivePeer(Path.Combine(scenario.Artifacts, "ffmpeg-kiosk")));
        var visitor = scenario.Own(new FfmpegLivePeer(Path.Combine(scenario.Artifacts, "ffmpeg-visitor")));
        await kiosk.JoinAsync(scenario.Server.Api, visit.Id, visit.KioskToken);
        await visitor.JoinAsync(scenario.Server.Api, visit.Id, visit.VisitorTokens[0]);
        kiosk.StartSending(TimeSpan.FromSeconds(60));
        visitor.StartSending(TimeSpan.FromSeconds(60));

        // Some media of both parties before the flag and some after it (FFmpeg is slow to start on a busy machine: counts, not seconds).
        var before = await WaitForPacketsAsync(server, admin, visit.Id, 200);
        using var flag = await SendAsync(server, HttpMethod.Post, $"/api/visits/{visit.Id}/flags", officer, new { note = flagNote });
        var flagged = flag.StatusCode == HttpStatusCode.Created;
        scenario.Log(flagged
            ? $"flagged the visit: {await flag.Content.ReadAsStringAsync()}"
            : $"POST /api/visits/{{id}}/flags → {(int)flag.StatusCode}: this build has no flags endpoint, so the bookmark part is skipped");
        await WaitForPacketsAsync(server, admin, visit.Id, before + 200);
        // Through the officer token already made (VisitApi would mint its own).
        using var terminate = await SendAsync(server, HttpMethod.Post, $"/api/visits/{visit.Id}/terminate", officer, new { reason = "review page test" });
        if (terminate.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"terminate → {(int)terminate.StatusCode}: {await terminate.Content.ReadAsStringAsync()}");
        }

        var summary = await Poll.UntilAsync(async () =>
            {
                using var response = await SendAsync(server, HttpMethod.Get, "/api/recordings?inmate=i1", investigator);
                var list = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
                return list.EnumerateArray().FirstOrDefault(r => r.GetProperty("visit").GetString() == visit.Id).Clone();
            },
            r => r.ValueKind == JsonValueKind.Object && r.GetProperty("state").GetString() is not ("recording" or "sealed"),
            TimeSpan.FromSeconds(180), "the recording to be finished (rendered or render_failed)", TimeSpan.FromMilliseconds(500));
        scenario.Log("recording: " + summary.GetRawText());
        using (var detail = await SendAsync(server, HttpMethod.Get, $"/api/recordings/{visit.Id}", investigator))
        {
            var manifest = JsonDocument.Parse(await detail.Content.ReadAsStringAsync()).RootElement.GetProperty("manifest");
            scenario.Log($"manifest: start {manifest.GetProperty("start")}, end {manifest.GetProperty("end")}, bookmarks {manifest.GetProperty("bookmarks")}");
        }
        return new ReviewRecording(visit.Id, investigator, flagged ? flagNote : null, summary);
    }

    private static Task<long> WaitForPacketsAsync(ServerProcess server, string admin, string visitId, long packets) =>
        Poll.UntilAsync(async () =>
            {
                using var response = await SendAsync(server, HttpMethod.Get, $"/api/visits/{visitId}", admin);
                var participants = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("participants");
                return participants.EnumerateArray().Select(p => p.GetProperty("connection").GetProperty("packetsIn").GetInt64()).Min();
            },
            least => least >= packets, TimeSpan.FromSeconds(90), $"both parties to have sent {packets} packets", TimeSpan.FromMilliseconds(200));

    public static async Task<HttpResponseMessage> SendAsync(ServerProcess server, HttpMethod method, string path, string? token,
        object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        return await server.Http.SendAsync(request);
    }
}
