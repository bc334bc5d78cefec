using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using MediaServer.Testing;
using MediaServer.Testing.Rtp;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests;

/// <summary>
/// A participant token is bound to the first client that joins with it (its jti): that client rejoins after a reload or a
/// network change; another client presenting a copy is refused (409) and audited, and the live leg keeps flowing.
/// </summary>
public sealed class TokenBindingTests(ITestOutputHelper output)
{
    private static string NewInstance() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [Fact]
    public async Task A_second_client_with_a_copied_token_is_refused_and_audited_while_the_first_leg_keeps_flowing()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: DateTimeOffset.UtcNow, privileged: true);
        var owner = NewInstance();
        await using var kiosk = new RtpParty("kiosk", 1);
        await using var visitor = new RtpParty("visitor1", 2);
        var kioskLeg = await server.Api.JoinAsync(visit.KioskToken, visit.Id, kiosk.OfferSdp);
        var visitorLeg = await server.Api.JoinAsync(visit.VisitorToken(1), visit.Id, visitor.OfferSdp, owner);
        kiosk.StartSending(kioskLeg.AnswerSdp);
        visitor.StartSending(visitorLeg.AnswerSdp);
        await visitor.VideoIn.WaitForRtpAsync(30, TimeSpan.FromSeconds(10), "kiosk video at visitor1");

        // The copy: same token, another device (another instance secret, or none at all), sending and receiving.
        await using var thief = new RtpParty("thief", 9);
        await using var thiefPlain = new RtpParty("thief-plain", 10);
        var withOtherInstance = await server.Api.JoinRawAsync(visit.VisitorToken(1), visit.Id, thief.OfferSdp, clientInstance: NewInstance());
        var withoutInstance = await server.Api.JoinRawAsync(visit.VisitorToken(1), visit.Id, thiefPlain.OfferSdp);
        var rosterOfThief = await server.Api.RosterRawAsync(visit.VisitorToken(1), visit.Id, NewInstance());
        var hangUp = await server.Api.LeaveRawAsync(visit.VisitorToken(1), visitorLeg.Location, NewInstance());

        foreach (var refused in new[] { withOtherInstance, withoutInstance, rosterOfThief })
        {
            Assert.True(refused.Status == HttpStatusCode.Conflict, $"expected 409, got {refused}");
            Assert.Equal("application/problem+json", refused.ContentType);
            Assert.Contains("another device", refused.Problem?.Detail ?? "", StringComparison.Ordinal);
        }
        Assert.True(hangUp.Status == HttpStatusCode.Forbidden, $"a copied token hung up the owner's leg: {hangUp}");

        // The owner's leg never stopped: 60 more kiosk packets (2 s) reach it, and nothing reaches the copies' ports.
        var before = visitor.VideoIn.RtpCount;
        await visitor.VideoIn.WaitForRtpAsync(before + 60, TimeSpan.FromSeconds(10), "kiosk video at the owner after the refusals");
        Assert.Equal(0, thief.VideoIn.RtpCount + thief.AudioIn.RtpCount + thiefPlain.VideoIn.RtpCount + thiefPlain.AudioIn.RtpCount);
        var roster = await server.Api.RosterAsync(visit.VisitorToken(1), visit.Id, owner);
        Assert.Equal("connected", roster.Parties.Single(p => p.You).State);

        var admin = await server.MintTokenAsync("admin", "ops");
        var audit = await server.Api.GetAuditAsync(admin);
        var joinRefusals = audit.Where(e => e.Action == "visit.join" && e.Actor == "v1" && e.Target == "visit/" + visit.Id
            && e.Outcome?.StartsWith("refused: 409 Join code in use: token ", StringComparison.Ordinal) == true).ToList();
        Assert.Equal(2, joinRefusals.Count);
        Assert.Contains(joinRefusals, e => e.Outcome!.EndsWith("from 127.0.0.1 with a client instance", StringComparison.Ordinal));
        Assert.Contains(joinRefusals, e => e.Outcome!.EndsWith("from 127.0.0.1 without a client instance", StringComparison.Ordinal));
        Assert.Contains(audit, e => e.Action == "visit.roster" && e.Outcome?.StartsWith("refused: token bound to another client", StringComparison.Ordinal) == true);
        Assert.Contains(audit, e => e.Action == "visit.leave" && e.Outcome?.StartsWith("refused: not the client that joined", StringComparison.Ordinal) == true);
        Assert.True((await server.Api.VerifyAuditAsync(admin)).Ok);
    }

    [Fact]
    public async Task The_same_client_rejoins_after_a_reload_and_after_a_network_change()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: DateTimeOffset.UtcNow, privileged: true);
        var owner = NewInstance();
        await using var kiosk = new RtpParty("kiosk", 1);
        await using var visitor = new RtpParty("visitor1", 2);
        var kioskLeg = await server.Api.JoinAsync(visit.KioskToken, visit.Id, kiosk.OfferSdp);
        var firstLeg = await server.Api.JoinAsync(visit.VisitorToken(1), visit.Id, visitor.OfferSdp, owner);
        kiosk.StartSending(kioskLeg.AnswerSdp);
        visitor.StartSending(firstLeg.AnswerSdp);
        await visitor.VideoIn.WaitForRtpAsync(30, TimeSpan.FromSeconds(10), "kiosk video at visitor1");

        // A reload: the page keeps its instance secret and joins again with new ports; the new leg replaces the old one.
        await using var reloaded = new RtpParty("visitor1-reloaded", 3);
        var secondLeg = await server.Api.JoinAsync(visit.VisitorToken(1), visit.Id, reloaded.OfferSdp, owner);
        reloaded.StartSending(secondLeg.AnswerSdp);
        await reloaded.VideoIn.WaitForRtpAsync(30, TimeSpan.FromSeconds(10), "kiosk video at the reloaded visitor");
        Assert.NotEqual(firstLeg.Location, secondLeg.Location);
        Assert.Equal("connected", (await server.Api.RosterAsync(visit.VisitorToken(1), visit.Id, owner)).Parties.Single(p => p.You).State);

        // A network change: the same secret from another address (127.0.0.2) is still this client.
        using var moved = ClientFrom(IPAddress.Parse("127.0.0.2"), server.BaseAddress);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/visits/{visit.Id}/roster");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", visit.VisitorToken(1));
        request.Headers.Add("Client-Instance", owner);
        using var fromNewAddress = await moved.SendAsync(request);
        Assert.True(fromNewAddress.StatusCode == HttpStatusCode.OK, $"the same client from a new address was refused: {await fromNewAddress.Content.ReadAsStringAsync()}");
        await using var movedParty = new RtpParty("visitor1-moved", 4);
        using var join = new HttpRequestMessage(HttpMethod.Post, $"api/visits/{visit.Id}/join")
        {
            Content = new StringContent(movedParty.OfferSdp, Encoding.UTF8, new MediaTypeHeaderValue("application/sdp")),
        };
        join.Headers.Authorization = new AuthenticationHeaderValue("Bearer", visit.VisitorToken(1));
        join.Headers.Add("Client-Instance", owner);
        using var joinedFromNewAddress = await moved.SendAsync(join);
        Assert.True(joinedFromNewAddress.StatusCode == HttpStatusCode.Created,
            $"the same client could not rejoin from a new address: {(int)joinedFromNewAddress.StatusCode} {await joinedFromNewAddress.Content.ReadAsStringAsync()}");

        // A plain client without a secret is known by its address: the kiosk rejoins from its address, not from another.
        await using var kioskAgain = new RtpParty("kiosk-again", 5);
        var kioskRejoin = await server.Api.JoinRawAsync(visit.KioskToken, visit.Id, kioskAgain.OfferSdp);
        Assert.True(kioskRejoin.Status == HttpStatusCode.Created, $"the kiosk could not rejoin from its own address: {kioskRejoin}");
        using var kioskFromElsewhere = new HttpRequestMessage(HttpMethod.Get, $"api/visits/{visit.Id}/roster");
        kioskFromElsewhere.Headers.Authorization = new AuthenticationHeaderValue("Bearer", visit.KioskToken);
        using var refused = await moved.SendAsync(kioskFromElsewhere);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
    }

    [Fact]
    public async Task A_token_re_minted_for_a_connected_participant_does_not_take_over_the_live_leg()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: DateTimeOffset.UtcNow);
        await using var kiosk = new RtpParty("kiosk", 1);
        await using var visitor = new RtpParty("visitor1", 2);
        var owner = NewInstance();
        var kioskLeg = await server.Api.JoinAsync(visit.KioskToken, visit.Id, kiosk.OfferSdp);
        var visitorLeg = await server.Api.JoinAsync(visit.VisitorToken(1), visit.Id, visitor.OfferSdp, owner);
        kiosk.StartSending(kioskLeg.AnswerSdp);
        visitor.StartSending(visitorLeg.AnswerSdp);
        await kiosk.VideoIn.WaitForRtpAsync(30, TimeSpan.FromSeconds(10), "visitor1 video at the kiosk");

        // A second, valid token for the same visitor (an officer may mint one on an ordinary visit), from another device.
        var second = await server.Api.MintParticipantTokenAsync(visit.OfficerToken, visit.Id, "v1");
        await using var impostor = new RtpParty("impostor", 9);
        var takeover = await server.Api.JoinRawAsync(second.Token, visit.Id, impostor.OfferSdp, clientInstance: NewInstance());

        Assert.True(takeover.Status == HttpStatusCode.Conflict, $"expected 409, got {takeover}");
        Assert.Contains("already connected", takeover.Problem?.Detail ?? "", StringComparison.Ordinal);
        var before = kiosk.VideoIn.RtpCount;
        await kiosk.VideoIn.WaitForRtpAsync(before + 60, TimeSpan.FromSeconds(10), "the real visitor's video at the kiosk after the refusal");
        Assert.All(kiosk.VideoIn.Packets.Skip((int)before), p => Assert.Equal(visitor.Fill, p.Payload[^1]));
        var audit = await server.Api.GetAuditAsync(await server.MintTokenAsync("admin", "ops"));
        Assert.Contains(audit, e => e.Action == "visit.join" && e.Actor == "v1"
            && e.Outcome?.StartsWith("refused: 409 Already connected: token ", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task A_participant_token_without_a_jti_is_refused()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: DateTimeOffset.UtcNow);
        var now = DateTimeOffset.UtcNow;
        var old = Hs256Token.Sign(server.ReadSigningKey(), "visitor", "v1", visit.Id, now.AddMinutes(-1), now.AddHours(1), withTokenId: false);
        await using var party = new RtpParty("visitor1", 2);

        var response = await server.Api.JoinRawAsync(old, visit.Id, party.OfferSdp);
        var badInstance = await server.Api.JoinRawAsync(visit.VisitorToken(1), visit.Id, party.OfferSdp, clientInstance: "short");

        Assert.True(response.Status == HttpStatusCode.Forbidden, $"expected 403, got {response}");
        Assert.Contains("new one", response.Problem?.Detail ?? "", StringComparison.Ordinal);
        Assert.True(badInstance.Status == HttpStatusCode.BadRequest, $"expected 400, got {badInstance}");
        Assert.Contains("Client-Instance", badInstance.Problem?.Detail ?? "", StringComparison.Ordinal);
    }

    /// <summary>An HTTP client whose connections leave from <paramref name="local"/> (a second loopback address: another network).</summary>
    private static HttpClient ClientFrom(IPAddress local, Uri baseAddress) => LocalAddressClient.Create(local, baseAddress);
}
