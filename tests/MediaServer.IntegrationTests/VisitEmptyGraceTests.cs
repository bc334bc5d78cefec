using System.Diagnostics;
using MediaServer.Testing;
using MediaServer.Testing.Rtp;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests;

/// <summary>
/// A visit ends only when it should: leaving the waiting room before the start leaves it scheduled (and the kiosk's later
/// join makes it live); every party leaving after the start ends it only once nobody has come back for the empty grace.
/// Real server, plain-RTP parties, a short MediaServer:Visits:EmptyGrace.
/// </summary>
public sealed class VisitEmptyGraceTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(3);

    private Task<ServerProcess> StartServerAsync() => ServerProcess.StartAsync(output, rootDirectory: null,
        new Dictionary<string, string> { ["MediaServer__Visits__EmptyGrace"] = "00:00:03" });

    [Fact]
    public async Task A_visitor_who_joins_early_and_leaves_keeps_the_visit_scheduled_and_the_kiosk_then_makes_it_live()
    {
        await using var server = await StartServerAsync();
        var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: DateTimeOffset.UtcNow.AddMinutes(5));
        await using (var early = new RtpParty("visitor1", 2))
        {
            var leg = await server.Api.JoinAsync(visit.VisitorToken(1), visit.Id, early.OfferSdp);
            early.StartSending(leg.AnswerSdp);
            await visit.WaitForStateAsync("live", TimeSpan.FromSeconds(10));
            await server.Api.LeaveAsync(visit.VisitorToken(1), leg.Location);
        }
        var afterLeave = await visit.WaitForStateAsync("scheduled", TimeSpan.FromSeconds(3));
        output.WriteLine("after the early leave: " + afterLeave);

        // The visitor reloads: joins again and leaves again; still nothing ends, not even past the empty grace.
        await using (var again = new RtpParty("visitor1", 3))
        {
            var leg = await server.Api.JoinAsync(visit.VisitorToken(1), visit.Id, again.OfferSdp);
            again.StartSending(leg.AnswerSdp);
            await visit.WaitForStateAsync("live", TimeSpan.FromSeconds(10));
            await server.Api.LeaveAsync(visit.VisitorToken(1), leg.Location);
        }
        await visit.WaitForStateAsync("scheduled", TimeSpan.FromSeconds(3));
        await ObserveAsync(Grace + TimeSpan.FromSeconds(1));
        Assert.Equal("scheduled", (await visit.GetAsync()).State);

        await using var kiosk = new RtpParty("kiosk", 1);
        var kioskLeg = await server.Api.JoinAsync(visit.KioskToken, visit.Id, kiosk.OfferSdp);
        kiosk.StartSending(kioskLeg.AnswerSdp);
        var live = await visit.WaitForStateAsync("live", TimeSpan.FromSeconds(10));
        output.WriteLine("after the kiosk joined: " + live);
        var audit = await server.Api.GetAuditAsync(await server.MintTokenAsync("admin", "ops"));
        Assert.Contains(audit, e => e.Action == "visit.waiting" && e.Target == "visit/" + visit.Id);
        Assert.DoesNotContain(audit, e => e.Action == "visit.end" && e.Target == "visit/" + visit.Id);
    }

    [Fact]
    public async Task Every_party_leaving_after_the_start_ends_the_visit_only_after_the_empty_grace()
    {
        await using var server = await StartServerAsync();
        await using var kiosk = new RtpParty("kiosk", 1);
        await using var visitor = new RtpParty("visitor1", 2);
        var visit = await EveryoneLeavesAfterTheStartAsync(server, kiosk, visitor);
        var leftAt = Stopwatch.GetTimestamp();
        Assert.Equal("live", (await visit.GetAsync()).State);

        var ended = await visit.WaitForStateAsync("ended", Grace + TimeSpan.FromSeconds(5));
        var after = Stopwatch.GetElapsedTime(leftAt);
        output.WriteLine($"ended {after.TotalMilliseconds:0} ms after the last party left: {ended}");
        // The tick is 200 ms: the end comes no earlier than the grace less one tick.
        Assert.True(after >= Grace - TimeSpan.FromMilliseconds(250), $"the visit ended {after.TotalMilliseconds:0} ms after every party left, before the {Grace.TotalSeconds} s grace");
        var audit = await server.Api.GetAuditAsync(await server.MintTokenAsync("admin", "ops"));
        Assert.Contains(audit, e => e.Action == "visit.end" && e.Target == "visit/" + visit.Id && e.Outcome == "every party left");
    }

    [Fact]
    public async Task A_party_coming_back_within_the_empty_grace_keeps_the_visit_live()
    {
        await using var server = await StartServerAsync();
        await using var kiosk = new RtpParty("kiosk", 1);
        await using var visitor = new RtpParty("visitor1", 2);
        var visit = await EveryoneLeavesAfterTheStartAsync(server, kiosk, visitor);
        await using var back = new RtpParty("kiosk", 3);
        var backLeg = await server.Api.JoinAsync(visit.KioskToken, visit.Id, back.OfferSdp);
        back.StartSending(backLeg.AnswerSdp);

        await ObserveAsync(Grace * 2);
        var after = await visit.GetAsync();
        output.WriteLine("two graces after the kiosk came back: " + after);
        Assert.Equal("live", after.State);
    }

    /// <summary>A visit that started now with the kiosk and the visitor relaying; then both leave. Returns the visit.</summary>
    private static async Task<VisitScenario> EveryoneLeavesAfterTheStartAsync(ServerProcess server, RtpParty kiosk, RtpParty visitor)
    {
        var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: DateTimeOffset.UtcNow);
        var (kioskLeg, visitorLeg) = await visit.JoinAndRelayAsync(kiosk, visitor);
        Assert.Equal("live", (await visit.GetAsync()).State);
        await server.Api.LeaveAsync(visit.VisitorToken(1), visitorLeg.Location);
        await server.Api.LeaveAsync(visit.KioskToken, kioskLeg.Location);
        return visit;
    }

    /// <summary>An observation window (the assertion after it is about what did not happen during it), not a synchronisation sleep.</summary>
    private static Task ObserveAsync(TimeSpan window) => Task.Delay(window);
}
