using System.Net;
using MediaServer.Testing;
using MediaServer.Testing.Sdp;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests;

/// <summary>
/// Every way a join must be refused (docs/api.md), each against its own real server: the status, and a
/// problem+json body (RFC 9457) that says why without leaking a stack trace.
/// </summary>
public sealed class JoinRejectionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Join_without_a_token_is_401()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1);

        var response = await server.Api.JoinRawAsync(token: null, visit.Id, Offer());

        AssertProblem(response, HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task Join_with_a_garbage_token_or_one_signed_with_another_key_is_401()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1);
        var otherKey = new byte[32];
        new Random(7).NextBytes(otherKey);
        var now = DateTimeOffset.UtcNow;
        var forged = Hs256Token.Sign(otherKey, "visitor", "v1", visit.Id, now.AddMinutes(-1), now.AddHours(1));

        var garbage = await server.Api.JoinRawAsync("not-a-jwt", visit.Id, Offer());
        var wrongKey = await server.Api.JoinRawAsync(forged, visit.Id, Offer());

        AssertProblem(garbage, HttpStatusCode.Unauthorized, "unauthorized");
        AssertProblem(wrongKey, HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task Join_with_an_expired_token_is_401()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1);
        var now = DateTimeOffset.UtcNow;
        // Expired an hour ago: well past any clock-skew allowance.
        var expired = Hs256Token.Sign(server.ReadSigningKey(), "visitor", "v1", visit.Id, now.AddHours(-3), now.AddHours(-1));
        var control = Hs256Token.Sign(server.ReadSigningKey(), "visitor", "v1", visit.Id, now.AddMinutes(-1), now.AddHours(1));

        var response = await server.Api.JoinRawAsync(expired, visit.Id, Offer());
        // The same claims, not expired, are accepted: proves the 401 is about expiry, not about our signing.
        var accepted = await server.Api.JoinRawAsync(control, visit.Id, Offer());

        AssertProblem(response, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.True(accepted.Status == HttpStatusCode.Created, $"A fresh self-signed visitor token was refused: {accepted}");
    }

    [Fact]
    public async Task Join_with_a_visitor_token_for_another_visit_is_403()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var officer = await server.MintTokenAsync("officer", "officer-1");
        var visitA = await VisitScenario.CreateAsync(server, visitors: 1, officerToken: officer);
        var visitB = await VisitScenario.CreateAsync(server, visitors: 1, officerToken: officer);

        // Same participant id (v1) in both visits: only the token's visit claim tells them apart.
        var response = await server.Api.JoinRawAsync(visitB.VisitorToken(1), visitA.Id, Offer());

        AssertProblem(response, HttpStatusCode.Forbidden, "wrong-visit");
    }

    [Fact]
    public async Task Join_with_an_officer_token_is_403()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1);

        var response = await server.Api.JoinRawAsync(visit.OfficerToken, visit.Id, Offer());

        AssertProblem(response, HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Join_before_the_window_opens_is_403()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var now = DateTimeOffset.UtcNow;
        // Starts in 2 h; with a JoinGrace of 15 min the window opens in 1 h 45 min.
        var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: now.AddHours(2), end: now.AddHours(3));
        // A token valid now (signed with the server's key) whose visit window is not open yet: the window decides, not the token.
        var validNow = Hs256Token.Sign(server.ReadSigningKey(), "visitor", "v1", visit.Id, now.AddMinutes(-1), now.AddHours(4));

        var withIssuedToken = await server.Api.JoinRawAsync(visit.VisitorToken(1), visit.Id, Offer());
        var withValidNowToken = await server.Api.JoinRawAsync(validNow, visit.Id, Offer());

        AssertProblem(withIssuedToken, HttpStatusCode.Forbidden, "too-early");
        AssertProblem(withValidNowToken, HttpStatusCode.Forbidden, "too-early");
        // When it opens, as a member of the problem (RFC 9457 §3.2), so the page can say it in the family's local time.
        foreach (var refused in new[] { withIssuedToken, withValidNowToken })
        {
            using var problem = System.Text.Json.JsonDocument.Parse(refused.Body);
            var opensAt = problem.RootElement.GetProperty("opensAt").GetDateTimeOffset();
            Assert.InRange((opensAt - now.AddHours(2).AddMinutes(-15)).TotalSeconds, -2, 2);
        }
    }

    [Fact]
    public async Task Join_after_the_scheduled_end_is_410()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var officer = await server.MintTokenAsync("officer", "officer-1");
        var now = DateTimeOffset.UtcNow;
        var end = now.AddSeconds(3);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: now.AddSeconds(1), end: end, officerToken: officer);

        await Poll.UntilClockPassesAsync(end.AddMilliseconds(300));
        var response = await server.Api.JoinRawAsync(visit.VisitorToken(1), visit.Id, Offer());

        AssertProblem(response, HttpStatusCode.Gone, "visit-over");
    }

    [Fact]
    public async Task Join_after_an_officer_ended_the_visit_is_410_visit_terminated()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1);

        await server.Api.TerminateAsync(visit.OfficerToken, visit.Id, "rejection test");
        var response = await server.Api.JoinRawAsync(visit.VisitorToken(1), visit.Id, Offer());

        // The page tells "the facility ended this visit" from "the visit has ended" by this type alone.
        AssertProblem(response, HttpStatusCode.Gone, "visit-terminated");
    }

    [Fact]
    public async Task Join_with_malformed_sdp_is_400_with_a_detail()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1);
        string[] bodies =
        [
            "this is not SDP",
            "",
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video notaport RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n",
        ];

        foreach (var body in bodies)
        {
            var response = await server.Api.JoinRawAsync(visit.VisitorToken(1), visit.Id, body);

            var problem = AssertProblem(response, HttpStatusCode.BadRequest, "invalid-offer");
            Assert.False(string.IsNullOrWhiteSpace(problem.Detail), $"400 without a detail for '{body}': {response}");
        }

        // The same token and visit with a well-formed offer are accepted: the 400s were about the SDP alone.
        var wellFormed = await server.Api.JoinRawAsync(visit.VisitorToken(1), visit.Id, Offer());
        Assert.True(wellFormed.Status == HttpStatusCode.Created, $"A well-formed offer after the malformed ones was refused: {wellFormed}");
    }

    [Fact]
    public async Task Join_sharing_no_codec_with_the_other_party_is_422_naming_the_codecs()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1);
        var vp8Only = new PlainRtpOffer().AddVideo(PortAllocator.FreeClientRtpPair(), MediaDirection.SendRecv, VideoCodec.Vp8).Build();
        var h264Only = new PlainRtpOffer().AddVideo(PortAllocator.FreeClientRtpPair(), MediaDirection.SendRecv, VideoCodec.H264).Build();

        var kiosk = await server.Api.JoinRawAsync(visit.KioskToken, visit.Id, vp8Only);
        var visitor = await server.Api.JoinRawAsync(visit.VisitorToken(1), visit.Id, h264Only);

        Assert.True(kiosk.Status == HttpStatusCode.Created, $"The kiosk's VP8-only offer was refused: {kiosk}");
        var problem = AssertProblem(visitor, (HttpStatusCode)422, "no-common-codec");
        Assert.True(
            problem.Detail?.Contains("VP8", StringComparison.OrdinalIgnoreCase) == true || problem.Detail?.Contains("H264", StringComparison.OrdinalIgnoreCase) == true,
            $"The 422 detail does not name the codecs: {visitor}");
    }

    private static string Offer() =>
        new PlainRtpOffer()
            .AddVideo(PortAllocator.FreeClientRtpPair(), MediaDirection.SendRecv, VideoCodec.Vp8)
            .AddAudio(PortAllocator.FreeClientRtpPair())
            .Build();

    /// <summary>Asserts the status, a problem+json body with a title, and its machine-readable <c>type</c> (<c>/problems/{slug}</c>).</summary>
    private static ProblemDto AssertProblem(ApiResponse response, HttpStatusCode expected, string slug)
    {
        Assert.True(response.Status == expected, $"Expected {(int)expected}, got {response}");
        Assert.True(response.ContentType == "application/problem+json", $"Expected application/problem+json, got {response}");
        var problem = response.Problem;
        Assert.True(problem is not null, $"The body is not a problem document: {response}");
        Assert.True(problem!.Status == (int)expected, $"The problem's status field is {problem.Status}, not {(int)expected}: {response}");
        Assert.False(string.IsNullOrWhiteSpace(problem.Title), $"The problem has no title: {response}");
        Assert.True(problem.Type == "/problems/" + slug, $"The problem's type is '{problem.Type}', not /problems/{slug}: {response}");
        Assert.DoesNotContain("   at ", response.Body, StringComparison.Ordinal);
        return problem;
    }
}
