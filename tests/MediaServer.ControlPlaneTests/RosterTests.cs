using System.Net;
using MediaServer.Testing;
using MediaServer.Testing.InProcess;
using MediaServer.Testing.Sdp;

namespace MediaServer.ControlPlaneTests;

/// <summary>
/// What the roster tells each party's page (docs/api.md, "GET …/roster"): the visit's times with the server's clock, who is
/// carried on which of the asker's slots, the inmate's name as the facility lets visitors see it, and each party's own word on
/// its microphone and camera (PUT …/devices), which the facility may forbid the kiosk to turn off.
/// </summary>
public sealed class RosterTests
{
    private static string Offer() =>
        new PlainRtpOffer()
            .AddVideo(PortAllocator.FreeClientRtpPair(), MediaDirection.SendRecv, VideoCodec.Vp8)
            .AddAudio(PortAllocator.FreeClientRtpPair())
            .Build();

    private static async Task<(InProcessServer Server, VisitDto Visit, string Kiosk, string Visitor)> VisitAsync(
        IReadOnlyDictionary<string, string>? settings = null)
    {
        var server = await InProcessServer.StartAsync(settings);
        var officer = server.MintToken("officer", "officer-1");
        var now = DateTimeOffset.UtcNow;
        var request = CreateVisitRequest.For(1, now.AddMinutes(-1), now.AddMinutes(29)) with { Inmate = new PersonDto("i1", "Jamal Reed Carter") };
        var visit = await server.Api.CreateVisitAsync(officer, request);
        var kiosk = (await server.Api.MintParticipantTokenAsync(officer, visit.Id, "i1")).Token;
        var visitor = (await server.Api.MintParticipantTokenAsync(officer, visit.Id, "v1")).Token;
        return (server, visit, kiosk, visitor);
    }

    [Fact]
    public async Task The_roster_gives_the_times_the_slot_carrying_each_party_and_the_names_each_side_may_see()
    {
        var (server, visit, kioskToken, visitorToken) = await VisitAsync();
        await using var _ = server;
        var before = DateTimeOffset.UtcNow;

        // Before anyone joins: the times, no slots, no devices.
        var waiting = await server.Api.RosterAsync(visitorToken, visit.Id);
        Assert.Equal(visit.Start.ToUnixTimeMilliseconds(), waiting.Start.ToUnixTimeMilliseconds());
        Assert.Equal(visit.End.ToUnixTimeMilliseconds(), waiting.End.ToUnixTimeMilliseconds());
        Assert.InRange(waiting.Now, before.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.True(waiting.KioskMayMute);
        Assert.All(waiting.Parties, p => Assert.Null(p.Slot));
        Assert.All(waiting.Parties, p => Assert.Null(p.Microphone));

        await server.Api.JoinAsync(kioskToken, visit.Id, Offer());
        await server.Api.JoinAsync(visitorToken, visit.Id, Offer());

        // Each side: the other on its slot 0, itself on none; devices on until said otherwise.
        var ofVisitor = await server.Api.RosterAsync(visitorToken, visit.Id);
        var ofKiosk = await server.Api.RosterAsync(kioskToken, visit.Id);
        Assert.Equal((0, (int?)null), (ofVisitor.Parties.Single(p => p.Role == "kiosk").Slot, ofVisitor.Parties.Single(p => p.You).Slot));
        Assert.Equal((0, (int?)null), (ofKiosk.Parties.Single(p => p.Role == "visitor").Slot, ofKiosk.Parties.Single(p => p.You).Slot));
        Assert.All(ofVisitor.Parties, p => Assert.Equal((true, true), (p.Microphone, p.Camera)));
        // Names: the kiosk sees the visitor's; the visitor sees the inmate's as configured (in full by default).
        Assert.Equal("Visitor 1", ofKiosk.Parties.Single(p => p.Role == "visitor").Name);
        Assert.Equal("Jamal Reed Carter", ofVisitor.Parties.Single(p => p.Role == "kiosk").Name);
        Assert.Equal("Jamal Reed Carter", ofKiosk.Parties.Single(p => p.You).Name);
    }

    [Theory]
    [InlineData("First", "Jamal")]
    [InlineData("None", "The facility")]
    public async Task The_facility_chooses_how_the_visitors_page_names_the_inmate(string shown, string name)
    {
        var (server, visit, kioskToken, visitorToken) = await VisitAsync(new Dictionary<string, string>
        {
            ["MediaServer:Visits:InmateNameToVisitors"] = shown,
        });
        await using var _ = server;
        Assert.Equal(name, (await server.Api.RosterAsync(visitorToken, visit.Id)).Parties.Single(p => p.Role == "kiosk").Name);
        // The kiosk itself, and staff, see the name as scheduled.
        Assert.Equal("Jamal Reed Carter", (await server.Api.RosterAsync(kioskToken, visit.Id)).Parties.Single(p => p.You).Name);
        Assert.Equal("Jamal Reed Carter", (await server.Api.GetVisitAsync(server.MintToken("officer", "o-1"), visit.Id)).Inmate!.Name);
    }

    [Fact]
    public async Task A_party_says_its_microphone_is_muted_and_its_camera_off_and_the_others_roster_shows_it()
    {
        var (server, visit, kioskToken, visitorToken) = await VisitAsync();
        await using var _ = server;
        await server.Api.JoinAsync(kioskToken, visit.Id, Offer());
        var leg = await server.Api.JoinAsync(visitorToken, visit.Id, Offer());

        Assert.Equal(HttpStatusCode.NoContent, (await server.Api.SetDevicesRawAsync(visitorToken, leg.Location, microphone: false, camera: false)).Status);
        var visitor = (await server.Api.RosterAsync(kioskToken, visit.Id)).Parties.Single(p => p.Role == "visitor");
        Assert.Equal((false, false), (visitor.Microphone, visitor.Camera));
        Assert.Equal(HttpStatusCode.NoContent, (await server.Api.SetDevicesRawAsync(visitorToken, leg.Location, microphone: true, camera: false)).Status);
        visitor = (await server.Api.RosterAsync(kioskToken, visit.Id)).Parties.Single(p => p.Role == "visitor");
        Assert.Equal((true, false), (visitor.Microphone, visitor.Camera));

        // Only the leg's own party may say it; a body that is not two booleans is 400; each change is audited.
        var kioskSays = await server.Api.SetDevicesRawAsync(kioskToken, leg.Location, microphone: false, camera: false);
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden"), (kioskSays.Status, ProblemSlug(kioskSays)));
        var half = await server.Api.SendAsync(HttpMethod.Put, leg.Location.TrimStart('/') + "/devices", visitorToken,
            System.Net.Http.Json.JsonContent.Create(new { microphone = false }));
        Assert.Equal((HttpStatusCode.BadRequest, "bad-request"), (half.Status, ProblemSlug(half)));
        var garbage = await server.Api.SendAsync(HttpMethod.Put, leg.Location.TrimStart('/') + "/devices", visitorToken,
            new StringContent("{\"microphone\": \"off\", \"camera\": 1}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, garbage.Status);
        var audit = await server.Api.GetAuditAsync(server.MintToken("admin", "ops"));
        Assert.Contains(audit, e => e.Action == "visit.leg.devices" && e.Actor == "v1" && e.Outcome == "ok: microphone off, camera off");
        Assert.Contains(audit, e => e.Action == "visit.leg.devices" && e.Actor == "i1" && e.Outcome!.StartsWith("refused", StringComparison.Ordinal));

        // A left leg cannot be changed.
        await server.Api.LeaveAsync(visitorToken, leg.Location);
        var gone = await server.Api.SetDevicesRawAsync(visitorToken, leg.Location, microphone: true, camera: true);
        Assert.Equal((HttpStatusCode.Gone, "leg-closed"), (gone.Status, ProblemSlug(gone)));
    }

    [Fact]
    public async Task Where_the_facility_forbids_it_the_kiosk_cannot_mute_but_a_visitor_can()
    {
        var (server, visit, kioskToken, visitorToken) = await VisitAsync(new Dictionary<string, string>
        {
            ["MediaServer:Visits:KioskMayMute"] = "false",
        });
        await using var _ = server;
        var kioskLeg = await server.Api.JoinAsync(kioskToken, visit.Id, Offer());
        var visitorLeg = await server.Api.JoinAsync(visitorToken, visit.Id, Offer());

        Assert.False((await server.Api.RosterAsync(kioskToken, visit.Id)).KioskMayMute);
        foreach (var (microphone, camera) in new[] { (false, true), (true, false), (false, false) })
        {
            var refused = await server.Api.SetDevicesRawAsync(kioskToken, kioskLeg.Location, microphone, camera);
            Assert.Equal((HttpStatusCode.Forbidden, "kiosk-may-not-mute"), (refused.Status, ProblemSlug(refused)));
        }
        Assert.Equal(HttpStatusCode.NoContent, (await server.Api.SetDevicesRawAsync(kioskToken, kioskLeg.Location, true, true)).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await server.Api.SetDevicesRawAsync(visitorToken, visitorLeg.Location, false, false)).Status);
        var kiosk = (await server.Api.RosterAsync(visitorToken, visit.Id)).Parties.Single(p => p.Role == "kiosk");
        Assert.Equal((true, true), (kiosk.Microphone, kiosk.Camera));
    }

    private static string? ProblemSlug(ApiResponse response) => response.Problem?.Type?.Split('/')[^1];
}
