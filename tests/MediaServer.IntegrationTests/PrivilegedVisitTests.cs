using System.Net;
using MediaServer.Testing;
using MediaServer.Testing.Rtp;
using MediaServer.Testing.Sdp;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests;

/// <summary>
/// A privileged (attorney, clergy) visit reaches nobody but its parties: staff cannot obtain a participant token for it,
/// nobody joins it as a silent listener, the CLI prints no participant tokens, and every party sees who is in the visit.
/// </summary>
public sealed class PrivilegedVisitTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Officers_and_admins_cannot_mint_a_token_for_a_privileged_visits_absent_visitor_and_are_audited()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var officer = await server.MintTokenAsync("officer", "officer-7");
        var admin = await server.MintTokenAsync("admin", "ops");
        var scheduler = await server.MintTokenAsync("scheduler", "scheduling-system");
        var now = DateTimeOffset.UtcNow;
        var privileged = await server.Api.CreateVisitAsync(officer, CreateVisitRequest.For(2, now, now.AddMinutes(10)) with { Privileged = true });
        var ordinary = await server.Api.CreateVisitAsync(officer, CreateVisitRequest.For(1, now, now.AddMinutes(10)));

        // The attack: an officer asks for the join code of the visitor who has not come, to listen in as that visitor.
        var byOfficer = await server.Api.MintParticipantTokenRawAsync(officer, privileged.Id, "v2");
        var byAdmin = await server.Api.MintParticipantTokenRawAsync(admin, privileged.Id, "v2");
        var kioskByOfficer = await server.Api.MintParticipantTokenRawAsync(officer, privileged.Id, "i1");

        foreach (var refused in new[] { byOfficer, byAdmin, kioskByOfficer })
        {
            Assert.True(refused.Status == HttpStatusCode.Forbidden, $"expected 403, got {refused}");
            Assert.Equal("application/problem+json", refused.ContentType);
            Assert.Contains("scheduling system", refused.Problem?.Detail ?? "", StringComparison.Ordinal);
            Assert.DoesNotContain("\"token\"", refused.Body, StringComparison.Ordinal);
        }
        // The scheduling system may; and officers still mint for ordinary visits, as before.
        var bySchedulerResponse = await server.Api.MintParticipantTokenRawAsync(scheduler, privileged.Id, "v2");
        Assert.True(bySchedulerResponse.Status == HttpStatusCode.Created, $"the scheduler was refused: {bySchedulerResponse}");
        Assert.True((await server.Api.MintParticipantTokenRawAsync(officer, ordinary.Id, "v1")).Status == HttpStatusCode.Created);
        Assert.True((await server.Api.MintParticipantTokenRawAsync(scheduler, ordinary.Id, "v1")).Status == HttpStatusCode.Created);
        // The scheduler cannot do what staff do: no taps, no audit log.
        await using var tap = new RtpTap(parties: 2);
        Assert.Equal(HttpStatusCode.Forbidden, (await server.Api.TapRawAsync(scheduler, ordinary.Id, tap.OfferSdp)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await server.Api.SendAsync(HttpMethod.Get, "api/audit", scheduler)).Status);

        var audit = await server.Api.GetAuditAsync(admin);
        var refusals = audit.Where(e => e.Action == "visit.token" && e.Target == "visit/" + privileged.Id
            && e.Outcome == "refused: privileged visit: participant tokens come only from the scheduler").ToList();
        Assert.Contains(refusals, e => e.Actor == "officer-7" && e.Role == "officer");
        Assert.Contains(refusals, e => e.Actor == "ops" && e.Role == "admin");
        Assert.Equal(3, refusals.Count);
        var minted = Assert.Single(audit, e => e.Action == "visit.token" && e.Target == $"visit/{privileged.Id}/participant/v2");
        Assert.Equal("scheduling-system", minted.Actor);
        Assert.Equal("scheduler", minted.Role);
        Assert.Matches("^ok: jti [A-Za-z0-9_-]{22}$", minted.Outcome);
        Assert.True((await server.Api.VerifyAuditAsync(admin)).Ok);
    }

    [Fact]
    public async Task The_token_cli_refuses_participant_roles()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1, privileged: true);

        foreach (var role in new[] { "visitor", "kiosk" })
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => server.MintTokenAsync(role, role == "kiosk" ? "i1" : "v1", visit.Id));
            Assert.Contains("POST /api/visits/{id}/tokens", error.Message, StringComparison.Ordinal);
            var withoutVisit = await Assert.ThrowsAsync<InvalidOperationException>(() => server.MintTokenAsync(role, "v1"));
            Assert.Contains("POST /api/visits/{id}/tokens", withoutVisit.Message, StringComparison.Ordinal);
        }
        // Staff and scheduler tokens are still printed.
        Assert.Equal(3, (await server.MintTokenAsync("scheduler", "scheduling-system")).Split('.').Length);
    }

    [Fact]
    public async Task A_receive_only_join_on_a_privileged_visit_is_refused_and_receives_nothing()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 2, start: DateTimeOffset.UtcNow, privileged: true);
        await using var kiosk = new RtpParty("kiosk", 1);
        await using var visitor = new RtpParty("visitor1", 2);
        await visit.JoinAndRelayAsync(kiosk, visitor);

        // The second visitor's own token, offered with receive-only (and inactive) m-lines: a silent listener.
        var listenVideo = PortAllocator.FreeClientRtpPair();
        var listenAudio = PortAllocator.FreeClientRtpPair();
        await using var videoIn = new RtpReceiver(listenVideo);
        await using var audioIn = new RtpReceiver(listenAudio);
        var recvOnly = new PlainRtpOffer().AddVideo(listenVideo, MediaDirection.RecvOnly, VideoCodec.Vp8).AddAudio(listenAudio, MediaDirection.RecvOnly).Build();
        var inactive = new PlainRtpOffer().AddVideo(listenVideo, MediaDirection.Inactive, VideoCodec.Vp8).AddAudio(listenAudio, MediaDirection.Inactive).Build();

        var refused = await server.Api.JoinRawAsync(visit.VisitorToken(2), visit.Id, recvOnly);
        var refusedInactive = await server.Api.JoinRawAsync(visit.VisitorToken(2), visit.Id, inactive);

        foreach (var response in new[] { refused, refusedInactive })
        {
            Assert.True(response.Status == HttpStatusCode.Forbidden, $"expected 403, got {response}");
            Assert.Equal("application/problem+json", response.ContentType);
            Assert.Contains("must send audio or video", response.Problem?.Detail ?? "", StringComparison.Ordinal);
        }
        // The kiosk keeps sending: 2 s is 60 video packets it would have had.
        var before = visitor.VideoIn.RtpCount;
        await visitor.VideoIn.WaitForRtpAsync(before + 60, TimeSpan.FromSeconds(10), "the visit going on");
        Assert.Equal(0, videoIn.RtpCount + audioIn.RtpCount);
        var roster = await server.Api.RosterAsync(visit.KioskToken, visit.Id);
        Assert.Equal("waiting", roster.Parties.Single(p => p.Name == "Visitor 2").State);
        var audit = await server.Api.GetAuditAsync(await server.MintTokenAsync("admin", "ops"));
        Assert.Equal(2, audit.Count(e => e.Action == "visit.join" && e.Actor == "v2" && e.Target == "visit/" + visit.Id
            && e.Outcome == "refused: 403 Nothing to send"));

        // The same token with a sending offer is a party like any other: the refusal was about the offer alone.
        await using var second = new RtpParty("visitor2", 3);
        var joined = await server.Api.JoinRawAsync(visit.VisitorToken(2), visit.Id, second.OfferSdp);
        Assert.True(joined.Status == HttpStatusCode.Created, $"a sending join was refused: {joined}");
    }

    [Fact]
    public async Task A_privileged_leg_that_offers_to_send_but_sends_nothing_is_closed_and_stops_receiving()
    {
        await using var server = await ServerProcess.StartAsync(output, rootDirectory: null,
            new Dictionary<string, string> { ["MediaServer__Visits__PrivilegedSilenceLimit"] = "00:00:03" });
        var visit = await VisitScenario.CreateAsync(server, visitors: 2, start: DateTimeOffset.UtcNow, privileged: true);
        await using var kiosk = new RtpParty("kiosk", 1);
        await using var visitor = new RtpParty("visitor1", 2);
        await visit.JoinAndRelayAsync(kiosk, visitor);

        // The second visitor's token with a sendrecv offer, and then silence: a listener pretending to be a party.
        await using var silent = new RtpParty("silent", 3);
        var leg = await server.Api.JoinAsync(visit.VisitorToken(2), visit.Id, silent.OfferSdp);
        await silent.VideoIn.WaitForRtpAsync(1, TimeSpan.FromSeconds(10), "kiosk video at the silent leg before the limit");
        var roster = await Poll.UntilAsync(() => server.Api.RosterAsync(visit.KioskToken, visit.Id),
            r => r.Parties.Single(p => p.Name == "Visitor 2").State == "closed", TimeSpan.FromSeconds(15), "the silent leg to be closed");
        var closedAt = silent.VideoIn.RtpCount + silent.AudioIn.RtpCount;

        // The parties that send go on; the silent leg gets nothing more (a packet or two in flight at the close at most).
        await visitor.VideoIn.WaitForRtpAsync(visitor.VideoIn.RtpCount + 60, TimeSpan.FromSeconds(10), "the visit going on");
        Assert.InRange(silent.VideoIn.RtpCount + silent.AudioIn.RtpCount - closedAt, 0, 5);
        Assert.Equal("connected", roster.Parties.Single(p => p.Name == "Visitor 1").State);
        var audit = await server.Api.GetAuditAsync(await server.MintTokenAsync("admin", "ops"));
        Assert.Contains(audit, e => e.Action == "visit.leg.closed" && e.Actor == "system" && e.Target == $"visit/{visit.Id}/legs/{leg.Location.Split('/')[^1]}"
            && e.Outcome == "closed: privileged visit: no media from the party for 3 s (v2)");
    }

    [Fact]
    public async Task Every_party_sees_the_roster_with_what_each_sends_and_receives_and_no_taps()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 2, start: DateTimeOffset.UtcNow);
        await using var kiosk = new RtpParty("kiosk", 1);
        await using var visitor = new RtpParty("visitor1", 2);
        await visit.JoinAndRelayAsync(kiosk, visitor);
        // Visitor 2 joins receive-only (allowed on an ordinary visit): the others see that it does not send.
        var recvOnly = new PlainRtpOffer().AddVideo(PortAllocator.FreeClientRtpPair(), MediaDirection.RecvOnly, VideoCodec.Vp8)
            .AddAudio(PortAllocator.FreeClientRtpPair(), MediaDirection.RecvOnly).Build();
        await server.Api.JoinAsync(visit.VisitorToken(2), visit.Id, recvOnly);
        await using var tap = new RtpTap(parties: 3);
        await server.Api.TapAsync(visit.OfficerToken, visit.Id, tap.OfferSdp);

        foreach (var (token, self) in new[] { (visit.KioskToken, "Inmate One"), (visit.VisitorToken(1), "Visitor 1"), (visit.VisitorToken(2), "Visitor 2") })
        {
            var roster = await server.Api.RosterAsync(token, visit.Id);
            output.WriteLine($"{self}: {string.Join("; ", roster.Parties)}");
            Assert.Equal(visit.Id, roster.Visit);
            Assert.Equal(["Inmate One", "Visitor 1", "Visitor 2"], roster.Parties.Select(p => p.Name));
            Assert.Equal(self, roster.Parties.Single(p => p.You).Name);
            var kioskParty = roster.Parties[0];
            Assert.Equal(("kiosk", "connected", true, true), (kioskParty.Role, kioskParty.State, kioskParty.Sends, kioskParty.Receives));
            Assert.Equal(("visitor", "connected", true, true), (roster.Parties[1].Role, roster.Parties[1].State, roster.Parties[1].Sends, roster.Parties[1].Receives));
            Assert.Equal((false, true), (roster.Parties[2].Sends, roster.Parties[2].Receives));
            // The tap is no party: nothing in the roster names or counts it.
            Assert.DoesNotContain("officer", string.Join(" ", roster.Parties), StringComparison.OrdinalIgnoreCase);
        }
        // Staff and other visits' tokens do not read it.
        Assert.Equal(HttpStatusCode.Forbidden, (await server.Api.RosterRawAsync(visit.OfficerToken, visit.Id)).Status);
        var other = await VisitScenario.CreateAsync(server, visitors: 1, officerToken: visit.OfficerToken);
        Assert.Equal(HttpStatusCode.Forbidden, (await server.Api.RosterRawAsync(other.VisitorToken(1), visit.Id)).Status);
    }
}
