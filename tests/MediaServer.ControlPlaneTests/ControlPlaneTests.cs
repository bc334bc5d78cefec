using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MediaServer.Testing;
using MediaServer.Testing.InProcess;
using MediaServer.Testing.Sdp;

namespace MediaServer.ControlPlaneTests;

/// <summary>
/// Who may schedule, mint, join and tap, and when: each test asks the composed server (in process) and checks its answer, the
/// state it keeps and, where the decision is a refusal of staff, the audit entry it writes.
/// </summary>
public sealed class ControlPlaneTests : IAsyncLifetime
{
    private InProcessServer _server = null!;

    private MediaServerApi Api => _server.Api;

    public async Task InitializeAsync() => _server = await InProcessServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task An_officer_schedules_a_visit_and_reads_it_back_with_a_kiosk_and_its_visitors()
    {
        var officer = _server.MintToken("officer", "officer-1");
        var now = DateTimeOffset.UtcNow;

        var created = await Api.CreateVisitAsync(officer, CreateVisitRequest.For(2, now.AddMinutes(5), now.AddMinutes(35)));
        var read = await Api.GetVisitAsync(officer, created.Id);

        Assert.False(string.IsNullOrEmpty(created.Id));
        Assert.Equal(created.Id, read.Id);
        Assert.Equal("scheduled", read.State);
        Assert.False(read.Privileged);
        Assert.Equal(now.AddMinutes(5).ToUnixTimeSeconds(), read.Start.ToUnixTimeSeconds());
        Assert.Equal([("i1", "kiosk"), ("v1", "visitor"), ("v2", "visitor")], read.Participants.Select(p => (p.Id, p.Role)));
        var audit = await Api.GetAuditAsync(_server.MintToken("admin", "ops"));
        Assert.Contains(audit, e => e.Action == "visit.create" && e.Actor == "officer-1" && e.Target == "visit/" + created.Id && e.Outcome == "ok");
    }

    [Fact]
    public async Task A_participant_or_an_investigator_cannot_schedule_a_visit()
    {
        var officer = _server.MintToken("officer", "officer-1");
        var now = DateTimeOffset.UtcNow;
        var request = CreateVisitRequest.For(1, now.AddMinutes(5), now.AddMinutes(35));
        var visit = await Api.CreateVisitAsync(officer, request);
        var visitor = (await Api.MintParticipantTokenAsync(officer, visit.Id, "v1")).Token;

        foreach (var token in new[] { visitor, _server.MintToken("investigator", "inv-1") })
        {
            var refused = await Api.SendAsync(HttpMethod.Post, "api/visits", token,
                System.Net.Http.Json.JsonContent.Create(request, options: MediaServerApi.Json));
            Assert.True(refused.Status == HttpStatusCode.Forbidden, $"expected 403, got {refused}");
        }

        var visits = await Api.SendAsync(HttpMethod.Get, "api/visits", officer);
        Assert.Equal(1, JsonDocument.Parse(visits.Body).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task Participant_tokens_of_a_privileged_visit_come_only_from_the_scheduler()
    {
        var officer = _server.MintToken("officer", "officer-1");
        var admin = _server.MintToken("admin", "ops");
        var scheduler = _server.MintToken("scheduler", "scheduling-system");
        var now = DateTimeOffset.UtcNow;
        var privileged = await Api.CreateVisitAsync(scheduler, CreateVisitRequest.For(1, now.AddMinutes(5), now.AddMinutes(35)) with { Privileged = true });
        var ordinary = await Api.CreateVisitAsync(officer, CreateVisitRequest.For(1, now.AddMinutes(5), now.AddMinutes(35)));

        var byOfficer = await Api.MintParticipantTokenRawAsync(officer, privileged.Id, "v1");
        var byAdmin = await Api.MintParticipantTokenRawAsync(admin, privileged.Id, "v1");
        var byScheduler = await Api.MintParticipantTokenAsync(scheduler, privileged.Id, "v1");
        var ordinaryByOfficer = await Api.MintParticipantTokenAsync(officer, ordinary.Id, "i1");

        foreach (var refused in new[] { byOfficer, byAdmin })
        {
            Assert.True(refused.Status == HttpStatusCode.Forbidden, $"expected 403, got {refused}");
            Assert.Equal("application/problem+json", refused.ContentType);
        }
        Assert.Equal(("visitor", "v1", privileged.Id), Claims(byScheduler.Token));
        Assert.Equal(("kiosk", "i1", ordinary.Id), Claims(ordinaryByOfficer.Token));
        var audit = await Api.GetAuditAsync(admin);
        Assert.Equal(2, audit.Count(e => e.Action == "visit.token" && e.Target?.Contains(privileged.Id, StringComparison.Ordinal) == true
            && e.Outcome?.StartsWith("refused", StringComparison.Ordinal) == true));
    }

    [Fact]
    public async Task Join_before_the_window_opens_is_403()
    {
        // Starts in 2 h; with a JoinGrace of 15 min the window opens in 1 h 45 min.
        var (visit, _, visitor) = await VisitWithVisitorTokenAsync(TimeSpan.FromHours(2), TimeSpan.FromHours(1));

        var refused = await Api.JoinRawAsync(visitor, visit.Id, Offer());

        Assert.True(refused.Status == HttpStatusCode.Forbidden, $"expected 403, got {refused}");
        Assert.Equal("application/problem+json", refused.ContentType);
        Assert.Contains("opens at", refused.Problem?.Detail ?? "", StringComparison.Ordinal);
        Assert.Equal("waiting", (await Api.RosterAsync(visitor, visit.Id)).Parties.Single(p => p.You).State);
    }

    [Fact]
    public async Task Join_after_the_scheduled_end_is_410()
    {
        var (visit, officer, visitor) = await VisitWithVisitorTokenAsync(TimeSpan.Zero, TimeSpan.FromMinutes(10));
        var kiosk = (await Api.MintParticipantTokenAsync(officer, visit.Id, "i1")).Token;
        var joined = await Api.JoinRawAsync(kiosk, visit.Id, Offer());
        Assert.True(joined.Status == HttpStatusCode.Created, $"a join inside the window was refused: {joined}");

        _server.Clock.Advance(TimeSpan.FromMinutes(11));
        var refused = await Api.JoinRawAsync(visitor, visit.Id, Offer());

        Assert.True(refused.Status == HttpStatusCode.Gone, $"expected 410, got {refused}");
        Assert.Equal("application/problem+json", refused.ContentType);
        Assert.Equal(410, refused.Problem?.Status);
    }

    [Fact]
    public async Task A_tap_on_a_privileged_visit_is_refused_403_and_audited_while_an_ordinary_one_opens()
    {
        var officer = _server.MintToken("officer", "officer-9");
        var scheduler = _server.MintToken("scheduler", "scheduling-system");
        var now = DateTimeOffset.UtcNow;
        var privileged = await Api.CreateVisitAsync(scheduler, CreateVisitRequest.For(1, now, now.AddMinutes(30)) with { Privileged = true });
        var ordinary = await Api.CreateVisitAsync(officer, CreateVisitRequest.For(1, now, now.AddMinutes(30)));

        var refused = await Api.TapRawAsync(officer, privileged.Id, TapOffer());
        var opened = await Api.TapRawAsync(officer, ordinary.Id, TapOffer());

        Assert.True(refused.Status == HttpStatusCode.Forbidden, $"expected 403, got {refused}");
        Assert.Equal("application/problem+json", refused.ContentType);
        Assert.True(opened.Status == HttpStatusCode.Created, $"the tap on an ordinary visit was refused: {opened}");
        Assert.Matches($"^/api/visits/{ordinary.Id}/taps/[0-9a-f]+$", opened.Location?.OriginalString ?? "");
        var audit = await Api.GetAuditAsync(_server.MintToken("admin", "ops"));
        Assert.Contains(audit, e => e.Action == "visit.tap" && e.Actor == "officer-9" && e.Role == "officer"
            && e.Target == "visit/" + privileged.Id && e.Outcome == "refused: privileged visit");
    }

    [Fact]
    public async Task A_token_is_bound_to_the_first_client_and_another_client_presenting_it_gets_409()
    {
        var (visit, _, visitor) = await VisitWithVisitorTokenAsync(TimeSpan.Zero, TimeSpan.FromMinutes(30));
        var owner = NewInstance();

        var first = await Api.JoinRawAsync(visitor, visit.Id, Offer(), clientInstance: owner);
        var copied = await Api.JoinRawAsync(visitor, visit.Id, Offer(), clientInstance: NewInstance());
        var copiedRoster = await Api.RosterRawAsync(visitor, visit.Id, NewInstance());
        var ownerRoster = await Api.RosterAsync(visitor, visit.Id, owner);

        Assert.True(first.Status == HttpStatusCode.Created, $"the first client was refused: {first}");
        foreach (var refused in new[] { copied, copiedRoster })
        {
            Assert.True(refused.Status == HttpStatusCode.Conflict, $"expected 409, got {refused}");
            Assert.Equal("application/problem+json", refused.ContentType);
        }
        // The owner's leg stands (no media has flowed, so it is still connecting), and the owner itself may join again (a reload).
        Assert.Equal("connecting", ownerRoster.Parties.Single(p => p.You).State);
        var rejoin = await Api.JoinRawAsync(visitor, visit.Id, Offer(), clientInstance: owner);
        Assert.True(rejoin.Status == HttpStatusCode.Created, $"the owner could not join again: {rejoin}");
    }

    /// <summary>An ordinary visit (kiosk i1, visitor v1) an officer scheduled to start in <paramref name="startsIn"/>, and v1's token.</summary>
    private async Task<(VisitDto Visit, string Officer, string Visitor)> VisitWithVisitorTokenAsync(TimeSpan startsIn, TimeSpan lasts)
    {
        var officer = _server.MintToken("officer", "officer-1");
        var start = DateTimeOffset.UtcNow + startsIn;
        var visit = await Api.CreateVisitAsync(officer, CreateVisitRequest.For(1, start, start + lasts));
        return (visit, officer, (await Api.MintParticipantTokenAsync(officer, visit.Id, "v1")).Token);
    }

    /// <summary>A plain-RTP video+audio offer on ports nobody listens on: the decision is made before any media flows.</summary>
    private static string Offer() =>
        new PlainRtpOffer()
            .AddVideo(PortAllocator.FreeClientRtpPair(), MediaDirection.SendRecv, VideoCodec.Vp8)
            .AddAudio(PortAllocator.FreeClientRtpPair())
            .Build();

    /// <summary>A receive-only tap offer for a visit of two parties (video and audio of each).</summary>
    private static string TapOffer()
    {
        var offer = new PlainRtpOffer();
        for (var party = 0; party < 2; party++)
        {
            offer.AddVideo(PortAllocator.FreeClientRtpPair(), MediaDirection.RecvOnly, VideoCodec.Vp8)
                .AddAudio(PortAllocator.FreeClientRtpPair(), MediaDirection.RecvOnly);
        }
        return offer.Build();
    }

    private static string NewInstance() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>(role, sub, visit) of a JWT's payload (RFC 7519 §7.2 step 7: base64url JSON).</summary>
    private static (string?, string?, string?) Claims(string token)
    {
        var payload = token.Split('.')[1].Replace('-', '+').Replace('_', '/');
        payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
        using var json = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
        var root = json.RootElement;
        return (root.GetProperty("role").GetString(), root.GetProperty("sub").GetString(), root.GetProperty("visit").GetString());
    }
}
