using System.Net;
using System.Security.Cryptography;
using MediaServer.Testing;
using MediaServer.Testing.InProcess;
using MediaServer.Testing.Rtp;
using MediaServer.Visits;
using MediaServer.Visits.Timeline;
using Microsoft.Extensions.DependencyInjection;

namespace MediaServer.ControlPlaneTests;

/// <summary>
/// The visit timeline as the composed server keeps it: entries in the order things happened, each reconnect with the cause the
/// server saw, departures with who ended them, its cap, and who may read it. Plain-RTP parties made of C# sockets send real
/// packets to the in-process server; the sampler runs on real time (about once a second), so each wait allows for a loaded host.
/// </summary>
public sealed class TimelineTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private InProcessServer _server = null!;

    private MediaServerApi Api => _server.Api;

    public async Task InitializeAsync() => _server = await InProcessServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_reload_and_a_leave_and_a_terminate_are_in_order_with_their_causes_and_who_ended_them()
    {
        var (visit, officer, kioskToken, visitorToken) = await ScheduleAsync();
        var instance = NewInstance();
        await using var kiosk = new RtpParty("kiosk", 1);
        await using var visitor = new RtpParty("visitor", 2);
        await JoinBothAsync((visit, officer, kioskToken, visitorToken), instance, kiosk, visitor);

        // The page is reloaded: the same client joins again from new ports while its leg still works.
        await using var reloaded = new RtpParty("visitor again", 3);
        var rejoin = await Api.JoinAsync(visitorToken, visit, reloaded.OfferSdp, instance);
        await visitor.StopSendingAsync();
        reloaded.StartSending(rejoin.AnswerSdp);
        await UntilAsync(officer, visit, t => Has(t, "v1", TimelineKinds.Reconnected), "the visitor back after the reload");
        var left = await Api.LeaveRawAsync(visitorToken, rejoin.Location, instance);
        Assert.True(left.Status == HttpStatusCode.NoContent, $"leave: {left}");
        await Api.TerminateAsync(officer, visit, "the visit is over early");

        var timeline = await Api.GetTimelineAsync(officer, visit);
        Assert.Equal(Enumerable.Range(1, timeline.Entries.Count).Select(n => (long)n), timeline.Entries.Select(e => e.Seq));
        Assert.Equal(TimelineKinds.Scheduled, timeline.Entries[0].Kind);
        var last = timeline.Entries[^1];
        Assert.Equal((TimelineKinds.Ended, "officer"), (last.Kind, last.By));
        var v1 = timeline.Of("v1").Where(e => e.Kind != TimelineKinds.Quality).ToList();
        var order = new[] { TimelineKinds.TokenUsed, TimelineKinds.Joined, TimelineKinds.MediaIn, TimelineKinds.Reconnecting,
            TimelineKinds.TokenUsed, TimelineKinds.Joined, TimelineKinds.MediaIn, TimelineKinds.Reconnected, TimelineKinds.Left };
        AssertSubsequence(order, v1.Select(e => e.Kind).ToList());
        var joined = v1.First(e => e.Kind == TimelineKinds.Joined);
        Assert.Equal("rtp", joined.Transport);
        Assert.Equal(["VP8", "opus"], joined.Codecs!);
        var drop = v1.Single(e => e.Kind == TimelineKinds.Reconnecting);
        var back = v1.Single(e => e.Kind == TimelineKinds.Reconnected);
        Assert.Equal(("page-reload", "page-reload"), (drop.Cause, back.Cause));
        Assert.InRange(back.Seconds!.Value, 0, 10);
        Assert.Equal("party", v1[^1].By);
        var kioskLeft = timeline.Of("i1")[^1];
        Assert.Equal((TimelineKinds.Left, "officer"), (kioskLeft.Kind, kioskLeft.By));
        Assert.Contains("the visit is over early", kioskLeft.Detail, StringComparison.Ordinal);
        Assert.Equal(1, timeline.Party("v1").Reconnects);
        Assert.Equal(0, timeline.Party("i1").Reconnects);
        Assert.True(timeline.Party("i1").MediaSeconds > 0, $"kiosk media seconds: {timeline.Party("i1")}");

        // The visitor, with its token, gets its own totals after the end; nobody else's, and not the staff view.
        var own = await Api.GetSummaryAsync(visitorToken, visit);
        Assert.Equal(("ended", "Visitor 1", 1), (own.State == "terminated" ? "ended" : own.State, own.You.Name, own.You.Reconnects));
        Assert.Equal(timeline.Party("v1").ReconnectSeconds, own.You.ReconnectSeconds);
        var asParticipant = await Api.SendAsync(HttpMethod.Get, $"api/visits/{visit}/timeline", visitorToken);
        Assert.True(asParticipant.Status == HttpStatusCode.Forbidden, $"a participant read the staff timeline: {asParticipant}");
        var investigator = await Api.SendAsync(HttpMethod.Get, $"api/visits/{visit}/timeline", _server.MintToken("investigator", "inv-1"));
        Assert.True(investigator.Status == HttpStatusCode.OK, $"investigator: {investigator}");
    }

    [Fact]
    public async Task A_lost_transport_and_a_server_restart_are_each_the_cause_of_the_reconnect_that_follows()
    {
        var (visit, officer, kioskToken, visitorToken) = await ScheduleAsync();
        var instance = NewInstance();
        await using var kiosk = new RtpParty("kiosk", 1);
        await using var visitor = new RtpParty("visitor", 2);
        await JoinBothAsync((visit, officer, kioskToken, visitorToken), instance, kiosk, visitor);
        var timeline = _server.Services.GetRequiredService<VisitTimeline>();
        var live = _server.Services.GetRequiredService<VisitRegistry>().Get(visit)!;

        // What VisitLifecycle.OnTransportFailed says of a WebRTC leg whose consent expired; the rejoin takes the seat back.
        timeline.Reconnecting(live, live.LatestLeg("v1")!, ReconnectCause.ConsentLost);
        await visitor.StopSendingAsync();
        await using var rejoined = new RtpParty("visitor again", 3);
        rejoined.StartSending((await Api.JoinAsync(visitorToken, visit, rejoined.OfferSdp, instance)).AnswerSdp);
        await UntilAsync(officer, visit, t => Has(t, "v1", TimelineKinds.Reconnected), "the visitor back");

        // What ServerDrain does for a visit that was live when the server stopped: every present party is away for a restart.
        timeline.Resumed(live);
        await kiosk.StopSendingAsync();
        await using var kioskAgain = new RtpParty("kiosk again", 4);
        kioskAgain.StartSending((await Api.JoinAsync(kioskToken, visit, kioskAgain.OfferSdp)).AnswerSdp);
        var done = await UntilAsync(officer, visit, t => Has(t, "i1", TimelineKinds.Reconnected), "the kiosk back");

        var v1 = done.Of("v1").Where(e => e.Kind is TimelineKinds.Reconnecting or TimelineKinds.Reconnected).Select(e => (e.Kind, e.Cause)).ToList();
        Assert.Equal([(TimelineKinds.Reconnecting, "consent-lost"), (TimelineKinds.Reconnected, "consent-lost"), (TimelineKinds.Reconnecting, "server-restart")], v1);
        var i1 = done.Of("i1").Where(e => e.Kind is TimelineKinds.Reconnecting or TimelineKinds.Reconnected).Select(e => (e.Kind, e.Cause)).ToList();
        Assert.Equal([(TimelineKinds.Reconnecting, "server-restart"), (TimelineKinds.Reconnected, "server-restart")], i1);
        Assert.Equal((2, true), (done.Party("v1").Reconnects, done.Party("v1").Reconnecting));
        Assert.Equal((1, false), (done.Party("i1").Reconnects, done.Party("i1").Reconnecting));
    }

    [Fact]
    public async Task A_party_that_drops_without_end_cannot_grow_the_timeline_past_its_cap()
    {
        var (visit, _, kioskToken, _) = await ScheduleAsync();
        await using var kiosk = new RtpParty("kiosk", 1);
        kiosk.StartSending((await Api.JoinAsync(kioskToken, visit, kiosk.OfferSdp)).AnswerSdp);
        var timeline = _server.Services.GetRequiredService<VisitTimeline>();
        var live = _server.Services.GetRequiredService<VisitRegistry>().Get(visit)!;
        var leg = live.LatestLeg("i1")!;

        for (var i = 0; i < VisitTimeline.MaxEntries - VisitTimeline.MaxQualitySamples + 50; i++)
        {
            timeline.Reconnecting(live, leg, ReconnectCause.IceRestart);
            timeline.Reconnected(live, leg, ReconnectCause.IceRestart, TimeSpan.FromSeconds(1));
        }

        var entries = timeline.Entries(live);
        Assert.Equal(VisitTimeline.MaxEntries - VisitTimeline.MaxQualitySamples, entries.Count(e => e.Kind != TimelineKinds.Quality));
        Assert.Equal(TimelineKinds.Truncated, entries.Where(e => e.Kind != TimelineKinds.Quality).Last().Kind);
        Assert.Single(entries, e => e.Kind == TimelineKinds.Truncated);
        var dto = await Api.GetTimelineAsync(_server.MintToken("officer", "officer-1"), visit);
        Assert.True(dto.Truncated);
    }

    [Fact]
    public async Task A_privileged_visits_timeline_is_for_officers_and_admins_and_refused_to_investigators_with_an_audit_entry()
    {
        var scheduler = _server.MintToken("scheduler", "scheduling-system");
        var now = DateTimeOffset.UtcNow;
        var privileged = await Api.CreateVisitAsync(scheduler, CreateVisitRequest.For(1, now.AddMinutes(1), now.AddMinutes(30)) with { Privileged = true });
        var admin = _server.MintToken("admin", "ops");

        var investigator = await Api.SendAsync(HttpMethod.Get, $"api/visits/{privileged.Id}/timeline", _server.MintToken("investigator", "inv-1"));
        var officer = await Api.GetTimelineAsync(_server.MintToken("officer", "officer-1"), privileged.Id);
        var asScheduler = await Api.SendAsync(HttpMethod.Get, $"api/visits/{privileged.Id}/timeline", scheduler);

        Assert.True(investigator.Status == HttpStatusCode.Forbidden, $"investigator: {investigator}");
        Assert.True(asScheduler.Status == HttpStatusCode.Forbidden, $"scheduler: {asScheduler}");
        Assert.True(officer.Privileged);
        Assert.Equal([TimelineKinds.Scheduled], officer.Entries.Select(e => e.Kind));
        Assert.Equal(200, (int)(await Api.SendAsync(HttpMethod.Get, $"api/visits/{privileged.Id}/timeline", admin)).Status);
        var audit = await Api.GetAuditAsync(admin);
        Assert.Contains(audit, e => e.Action == "visit.timeline" && e.Actor == "inv-1" && e.Outcome == "refused: privileged visit");
    }

    [Fact]
    public void A_second_counts_both_ways_only_when_packets_came_in_and_went_out_and_a_late_sample_credits_at_most_two()
    {
        var t0 = DateTimeOffset.UnixEpoch;
        var media = new MediaSeconds();
        long packetsIn = 0, packetsOut = 0;
        media.Sample("leg-1", t0, 0, 0, t0); // joined, nothing yet
        for (var s = 1; s <= 10; s++)
        {
            packetsIn += s <= 8 ? 50 : 0;   // from the party for 8 s
            packetsOut += s <= 5 ? 30 : 0;  // to it for the first 5
            media.Sample("leg-1", t0, packetsIn, packetsOut, t0.AddSeconds(s));
        }
        Assert.Equal((8.0, 5.0, 5.0), (media.InSeconds, media.OutSeconds, media.BothSeconds));

        // A sampler held up for 6 s credits 2; a rejoin's leg starts from its own zero counters.
        media.Sample("leg-1", t0, packetsIn + 10, packetsOut + 10, t0.AddSeconds(16));
        Assert.Equal(7.0, media.BothSeconds);
        media.Sample("leg-2", t0.AddSeconds(16.5), 5, 5, t0.AddSeconds(17));
        Assert.Equal(7.5, media.BothSeconds);
        media.Sample("leg-2", t0.AddSeconds(16.5), 5, 5, t0.AddSeconds(18));
        Assert.Equal((10.5, 7.5, 7.5), (media.InSeconds, media.OutSeconds, media.BothSeconds));
    }

    [Fact]
    public void Drops_add_up_to_their_count_and_their_seconds_and_one_never_recovered_lasts_until_the_party_left()
    {
        var t0 = DateTimeOffset.UnixEpoch.AddYears(50);
        var visit = new Visit("v", new Person("i1", "Inmate"), [new Person("v1", "Mary")], t0, t0.AddMinutes(30), false, false, t0);
        TimelineEntry E(long seq, double at, string kind, string who, string? cause = null, double? seconds = null) =>
            new(seq, t0.AddSeconds(at), kind, who) { Cause = cause, Seconds = seconds };
        TimelineEntry[] entries =
        [
            E(1, 0, TimelineKinds.Joined, "v1"), E(2, 1, TimelineKinds.Joined, "i1"),
            E(3, 100, TimelineKinds.Reconnecting, "v1", "consent-lost"), E(4, 105, TimelineKinds.Reconnected, "v1", "consent-lost", 5),
            E(5, 200, TimelineKinds.Reconnecting, "v1", "page-reload"), E(6, 200, TimelineKinds.Reconnecting, "v1", "server-restart"),
            E(7, 207, TimelineKinds.Reconnected, "v1", "page-reload", 7),
            E(8, 300, TimelineKinds.Reconnecting, "i1", "consent-lost"), E(9, 330, TimelineKinds.Left, "i1"),
            E(10, 350, TimelineKinds.Reconnected, "v1", "ice-restart", 2), // its drop not told apart: still one drop
            new(11, t0.AddSeconds(400), TimelineKinds.Ended, null),
        ];
        var summary = TimelineSummary.Of(visit, entries, [new PartyMediaSeconds("v1", 390, 391, 388, t0)], t0.AddSeconds(999));
        var mary = summary.Parties.Single(p => p.Participant == "v1");
        var inmate = summary.Parties.Single(p => p.Participant == "i1");
        Assert.Equal((3, 14.0, 388.0), (mary.Reconnects, mary.ReconnectSeconds, mary.MediaSeconds));
        Assert.Equal((1, 30.0, 0.0), (inmate.Reconnects, inmate.ReconnectSeconds, inmate.MediaSeconds));
        Assert.Equal(400.0, summary.DurationSeconds);
    }

    private async Task<(string Visit, string Officer, string Kiosk, string Visitor)> ScheduleAsync()
    {
        var officer = _server.MintToken("officer", "officer-1");
        var now = DateTimeOffset.UtcNow;
        var visit = await Api.CreateVisitAsync(officer, CreateVisitRequest.For(1, now.AddMinutes(1), now.AddMinutes(30)));
        return (visit.Id, officer, (await Api.MintParticipantTokenAsync(officer, visit.Id, "i1")).Token,
            (await Api.MintParticipantTokenAsync(officer, visit.Id, "v1")).Token);
    }

    /// <summary>Joins the kiosk and the visitor (from <paramref name="instance"/>), both sending, until media flows both ways for each.</summary>
    private async Task JoinBothAsync((string Visit, string Officer, string Kiosk, string Visitor) at, string instance, RtpParty kiosk, RtpParty visitor)
    {
        kiosk.StartSending((await Api.JoinAsync(at.Kiosk, at.Visit, kiosk.OfferSdp)).AnswerSdp);
        visitor.StartSending((await Api.JoinAsync(at.Visitor, at.Visit, visitor.OfferSdp, instance)).AnswerSdp);
        await UntilAsync(at.Officer, at.Visit, t => Has(t, "v1", TimelineKinds.MediaOut) && Has(t, "i1", TimelineKinds.MediaOut), "media both ways");
    }

    private Task<TimelineDto> UntilAsync(string officer, string visit, Func<TimelineDto, bool> done, string what) =>
        Poll.UntilAsync(() => Api.GetTimelineAsync(officer, visit), done, Wait, what, TimeSpan.FromMilliseconds(250));

    private static bool Has(TimelineDto timeline, string participant, string kind) => timeline.Of(participant).Any(e => e.Kind == kind);

    private static void AssertSubsequence(string[] expected, List<string> actual)
    {
        var at = 0;
        foreach (var kind in actual)
        {
            if (at < expected.Length && kind == expected[at])
            {
                at++;
            }
        }
        Assert.True(at == expected.Length, $"expected in order: {string.Join(", ", expected)}\ngot: {string.Join(", ", actual)}");
    }

    private static string NewInstance() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
