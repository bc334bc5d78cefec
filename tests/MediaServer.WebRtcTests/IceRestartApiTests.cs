using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using MediaServer.Testing;
using MediaServer.Testing.Sdp;
using MediaServer.WebRtcTests.Harness;
using Xunit.Abstractions;

namespace MediaServer.WebRtcTests;

/// <summary>
/// PATCH of a leg (ICE restart, RFC 9725 §4.3) against the real server with written offers: the restart answered with new
/// credentials and the leg's m-lines and fingerprint, and every hostile variant refused with its problem type. No browser:
/// the server answers before any ICE check (it is ICE-lite), so a written offer makes a real leg.
/// </summary>
public sealed class IceRestartApiTests(ITestOutputHelper output)
{
    private const string Instance = "visitor-instance-0123456789abcdef";
    private static readonly Dictionary<string, string> ManyRequests = new() { ["MediaServer__Limits__ParticipantRequests"] = "1000" };

    [Fact]
    public async Task A_patch_with_new_ice_credentials_is_answered_200_with_new_server_credentials_the_same_m_lines_and_fingerprint()
    {
        await using var scenario = await Scenario.StartAsync(output, ManyRequests);
        var visit = await scenario.Api.CreateVisitAsync(visitors: 1);
        var fingerprint = Fingerprint(1);
        var joined = await scenario.Server.Api.JoinAsync(visit.VisitorTokens[0], visit.Id, Offer("ufragA", "passwordAx0123456789abcd", fingerprint), Instance);

        var restarted = await PatchAsync(scenario, visit.VisitorTokens[0], joined.Location, Offer("ufragB", "passwordBx0123456789abcd", fingerprint));
        Assert.Equal(HttpStatusCode.OK, restarted.Status);
        Assert.Equal("application/sdp", restarted.ContentType);
        Assert.Null(restarted.Location);
        Assert.NotEqual(Line(joined.AnswerSdp, "a=ice-ufrag:"), Line(restarted.Body, "a=ice-ufrag:"));
        Assert.NotEqual(Line(joined.AnswerSdp, "a=ice-pwd:"), Line(restarted.Body, "a=ice-pwd:"));
        Assert.Equal(Line(joined.AnswerSdp, "a=fingerprint:"), Line(restarted.Body, "a=fingerprint:"));
        Assert.Equal(Lines(joined.AnswerSdp, "m="), Lines(restarted.Body, "m="));
        Assert.Equal(Lines(joined.AnswerSdp, "a=group:BUNDLE"), Lines(restarted.Body, "a=group:BUNDLE"));
        Assert.Equal(Lines(joined.AnswerSdp, "a=ssrc:"), Lines(restarted.Body, "a=ssrc:"));

        // A second restart from there is a restart again; the leg is the same one throughout.
        var again = await PatchAsync(scenario, visit.VisitorTokens[0], joined.Location, Offer("ufragC", "passwordCx0123456789abcd", fingerprint));
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.NotEqual(Line(restarted.Body, "a=ice-ufrag:"), Line(again.Body, "a=ice-ufrag:"));
        var audit = await scenario.Server.Api.GetAuditAsync(await scenario.Server.MintTokenAsync("admin", "ops"));
        Assert.Equal(2, audit.Count(e => e.Action == "visit.leg.ice-restart" && e.Outcome?.StartsWith("ok", StringComparison.Ordinal) == true
            && e.Target == joined.Location.Replace("/api/visits/", "visit/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Hostile_patches_are_refused_each_with_its_problem_type_and_the_leg_still_restarts()
    {
        await using var scenario = await Scenario.StartAsync(output, ManyRequests);
        var visit = await scenario.Api.CreateVisitAsync(visitors: 2);
        var token = visit.VisitorTokens[0];
        var fingerprint = Fingerprint(1);
        var joined = await scenario.Server.Api.JoinAsync(token, visit.Id, Offer("ufragA", "passwordAx0123456789abcd", fingerprint), Instance);
        var restart = Offer("ufragB", "passwordBx0123456789abcd", fingerprint);
        var other = await scenario.Api.CreateVisitAsync(visitors: 1);
        var kiosk = await scenario.Server.Api.JoinAsync(visit.KioskToken, visit.Id,
            new PlainRtpOffer().AddVideo(PortAllocator.FreeClientRtpPair(), MediaDirection.SendRecv, VideoCodec.Vp8).Build());

        var cases = new (string What, Func<Task<ApiResponse>> Send, HttpStatusCode Status, string Type)[]
        {
            ("token for another visit", () => PatchAsync(scenario, other.VisitorTokens[0], joined.Location, restart), HttpStatusCode.Forbidden, "wrong-visit"),
            ("another participant's leg", () => PatchAsync(scenario, visit.VisitorTokens[1], joined.Location, restart), HttpStatusCode.Forbidden, "forbidden"),
            ("another client with the token", () => PatchAsync(scenario, token, joined.Location, restart, instance: "another-instance-0123456789abcdef"), HttpStatusCode.Forbidden, "forbidden"),
            ("no such leg", () => PatchAsync(scenario, token, $"/api/visits/{visit.Id}/legs/0000000000000000", restart), HttpStatusCode.NotFound, "not-found"),
            ("no token", () => PatchAsync(scenario, null, joined.Location, restart), HttpStatusCode.Unauthorized, "unauthorized"),
            ("a plain-RTP leg", () => PatchAsync(scenario, visit.KioskToken, kiosk.Location, restart, instance: null), HttpStatusCode.Conflict, "not-webrtc-leg"),
            ("the same ICE credentials", () => PatchAsync(scenario, token, joined.Location, Offer("ufragA", "passwordAx0123456789abcd", fingerprint)), HttpStatusCode.BadRequest, "not-ice-restart"),
            ("a changed fingerprint", () => PatchAsync(scenario, token, joined.Location, Offer("ufragB", "passwordBx0123456789abcd", Fingerprint(2))), HttpStatusCode.UnprocessableEntity, "offer-mismatch"),
            ("other m-lines", () => PatchAsync(scenario, token, joined.Location, Offer("ufragB", "passwordBx0123456789abcd", fingerprint, video: false)), HttpStatusCode.UnprocessableEntity, "offer-mismatch"),
            ("other mids", () => PatchAsync(scenario, token, joined.Location, Offer("ufragB", "passwordBx0123456789abcd", fingerprint, mids: ["a", "v"])), HttpStatusCode.UnprocessableEntity, "offer-mismatch"),
            ("malformed SDP", () => PatchAsync(scenario, token, joined.Location, "v=0\r\nthis is not SDP\r\n"), HttpStatusCode.BadRequest, "invalid-offer"),
            ("not SDP", () => PatchAsync(scenario, token, joined.Location, "{}", contentType: "application/json"), HttpStatusCode.UnsupportedMediaType, "unsupported-media-type"),
            ("an oversized offer", () => PatchAsync(scenario, token, joined.Location, restart + "a=x-pad:" + new string('x', 70 * 1024) + "\r\n"), HttpStatusCode.RequestEntityTooLarge, "body-too-large"),
        };
        foreach (var (what, send, status, type) in cases)
        {
            var response = await send();
            scenario.Log($"{what}: {(int)response.Status} {response.Problem?.Type}");
            Assert.True(response.Status == status, $"{what}: expected {(int)status}, got {response}");
            Assert.Equal("application/problem+json", response.ContentType);
            Assert.Equal("/problems/" + type, response.Problem?.Type);
        }

        // None of that touched the leg: the real restart is answered.
        Assert.Equal(HttpStatusCode.OK, (await PatchAsync(scenario, token, joined.Location, restart)).Status);

        // A leg that was left is closed: a restart of it is 410 leg-closed (the page then joins again).
        Assert.Equal(HttpStatusCode.NoContent, (await scenario.Server.Api.LeaveRawAsync(token, joined.Location, Instance)).Status);
        var closed = await PatchAsync(scenario, token, joined.Location, Offer("ufragD", "passwordDx0123456789abcd", fingerprint));
        Assert.Equal(HttpStatusCode.Gone, closed.Status);
        Assert.Equal("/problems/leg-closed", closed.Problem?.Type);
    }

    [Fact]
    public async Task A_flood_of_patches_from_one_token_is_rate_limited_with_429()
    {
        await using var scenario = await Scenario.StartAsync(output);
        var visit = await scenario.Api.CreateVisitAsync(visitors: 1);
        var fingerprint = Fingerprint(1);
        var joined = await scenario.Server.Api.JoinAsync(visit.VisitorTokens[0], visit.Id, Offer("ufragA", "passwordAx0123456789abcd", fingerprint), Instance);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 30; i++)
        {
            var response = await PatchAsync(scenario, visit.VisitorTokens[0], joined.Location,
                Offer(string.Create(CultureInfo.InvariantCulture, $"flood{i}"), string.Create(CultureInfo.InvariantCulture, $"passwordflood{i:00}x0123456789"), fingerprint));
            statuses.Add(response.Status);
            if (response.Status == HttpStatusCode.TooManyRequests)
            {
                Assert.Equal("/problems/too-many-requests", response.Problem?.Type);
            }
        }
        scenario.Log("statuses: " + string.Join(", ", statuses.Select(s => (int)s)));
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        // Within one window the default allowance (10 per 10 s, the join included) is all a token gets.
        Assert.True(statuses.Count(s => s == HttpStatusCode.OK) <= 10, string.Join(", ", statuses));
        Assert.Equal(HttpStatusCode.OK, (await scenario.Server.Http.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
    }

    private static Task<ApiResponse> PatchAsync(Scenario scenario, string? token, string location, string body, string contentType = "application/sdp",
        string? instance = Instance) =>
        scenario.Server.Api.SendAsync(HttpMethod.Patch, location, token, new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue(contentType)), instance);

    private static string? Line(string sdp, string prefix) => Lines(sdp, prefix).FirstOrDefault();

    private static List<string> Lines(string sdp, string prefix) =>
        [.. sdp.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith(prefix, StringComparison.Ordinal))];

    private static string Fingerprint(int seed)
    {
        var bytes = new byte[32];
        new Random(TestSeed.Value + seed).NextBytes(bytes);
        return string.Join(':', bytes.Select(b => b.ToString("X2", CultureInfo.InvariantCulture)));
    }

    /// <summary>A browser-shaped WebRTC offer: BUNDLEd audio and video, sendrecv, rtcp-mux, one fingerprint.</summary>
    private static string Offer(string ufrag, string pwd, string fingerprint, bool video = true, string[]? mids = null)
    {
        mids ??= ["0", "1"];
        var sdp = new StringBuilder();
        sdp.Append("v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
        sdp.Append("a=group:BUNDLE ").Append(video ? string.Join(' ', mids) : mids[0]).Append("\r\n");
        void Media(string kind, string mid, string formats, string rtpmaps)
        {
            sdp.Append("m=").Append(kind).Append(" 9 UDP/TLS/RTP/SAVPF ").Append(formats).Append("\r\nc=IN IP4 0.0.0.0\r\n");
            sdp.Append("a=ice-ufrag:").Append(ufrag).Append("\r\na=ice-pwd:").Append(pwd).Append("\r\n");
            sdp.Append("a=fingerprint:sha-256 ").Append(fingerprint).Append("\r\na=setup:actpass\r\n");
            sdp.Append("a=mid:").Append(mid).Append("\r\na=sendrecv\r\na=rtcp-mux\r\n").Append(rtpmaps);
        }
        Media("audio", mids[0], "111", "a=rtpmap:111 opus/48000/2\r\n");
        if (video)
        {
            Media("video", mids[1], "96", "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack pli\r\n");
        }
        return sdp.ToString();
    }
}
