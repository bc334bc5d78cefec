using System.Diagnostics;
using System.Globalization;
using MediaServer.Testing;
using MediaServer.Testing.WebRtc;
using MediaServer.WebRtcTests.Harness;
using Xunit.Abstractions;

namespace MediaServer.WebRtcTests;

/// <summary>
/// The /visit page keeps a visit up by itself: a reload rejoins the same seat (the join code is kept for the tab), and a cut
/// of every datagram both ways is recovered without a new visit and without a reload.
/// </summary>
public sealed class VisitRecoveryPageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Connect = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Media = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_reloaded_visitor_page_rejoins_the_same_seat_and_the_kiosk_tile_for_it_comes_back()
    {
        await using var scenario = await Scenario.StartAsync(output);
        var (visit, kiosk, visitor) = await scenario.OpenConnectedPairAsync();
        Assert.DoesNotContain("token=", visitor.Page.Url, StringComparison.Ordinal);

        // Everything the kiosk page says about the others, as it says it.
        await kiosk.Page.EvaluateAsync(NewsLogScript);

        // F5: the address has no token any more; the page rejoins with the code it kept for the tab.
        await visitor.Page.ReloadAsync();
        await visitor.WaitForStateAsync("connected", Connect);
        await visitor.WaitForRemoteTileAsync(Media);
        Assert.False(await visitor.Page.IsVisibleAsync("#join"), "the reloaded page showed the join-code form");

        // The kiosk's tile for the visitor comes back in the same slot (the first): its decoded frames move on again.
        var framesAfterRejoin = (await kiosk.StatsAsync())!.FramesDecoded;
        await kiosk.WaitForFramesAsync(framesAfterRejoin + 30, Media);
        await kiosk.WaitForRemoteTileAsync(Media);
        var described = await scenario.Api.DescribeAsync(visit.Id);
        scenario.Log("server view after the reload: " + described);
        Assert.Contains("\"state\":\"live\"", described, StringComparison.Ordinal);
        Assert.Equal("connected", await kiosk.StateAsync());
        // A reload is not a leave: the kiosk never said the visitor had left (at most that it was reconnecting and is back).
        var said = await kiosk.Page.EvaluateAsync<string[]>("() => window.newsLog");
        scenario.Log("kiosk page during the reload: " + string.Join(" | ", said));
        Assert.DoesNotContain(said, t => t.Contains("has left", StringComparison.Ordinal));
        // The server's timeline tells the reload: the visitor reconnecting because its page went away, then back on a new leg.
        var timeline = await Poll.UntilAsync(() => scenario.Api.TimelineAsync(visit.Id),
            t => t.Of("v1").Any(e => e.Kind == "reconnected"), TimeSpan.FromSeconds(20), "the timeline to show the visitor back",
            TimeSpan.FromMilliseconds(250));
        var entries = timeline.Of("v1");
        scenario.Log("visitor timeline: " + string.Join("; ", entries.Select(e => $"{e.Kind} {e.Cause} {e.Seconds}")));
        Assert.Contains(entries, e => e.Kind == "reconnecting" && e.Cause == "page-reload");
        Assert.Contains(entries, e => e.Kind == "reconnected" && e.Cause == "page-reload");
        Assert.DoesNotContain(entries, e => e.Kind == "left");
    }

    /// <summary>
    /// A visitor opens the link five minutes before the start, reloads, closes the tab and opens the link again: the visit is
    /// still scheduled after the tab was closed (a page that went away is no leave before the start), and it goes live when the
    /// kiosk joins, both pages decoding the other.
    /// </summary>
    [Fact]
    public async Task A_visitor_five_minutes_early_reloads_closes_the_tab_and_reopens_the_link_and_the_visit_goes_live_with_the_kiosk()
    {
        await using var scenario = await Scenario.StartAsync(output);
        var visit = await scenario.Api.CreateVisitAsync(visitors: 1, start: DateTimeOffset.UtcNow.AddMinutes(5));
        var visitor = await scenario.OpenVisitAsync(visit.VisitorTokens[0], "visitor");
        await visitor.WaitForStateAsync("connected", Connect);
        // In the waiting room: the visitor's media makes the visit live early (docs/api.md, visit states).
        await Poll.UntilAsync(() => scenario.Api.DescribeAsync(visit.Id), d => d.Contains("\"state\":\"live\"", StringComparison.Ordinal),
            Media, "the early visitor to make the visit live", TimeSpan.FromMilliseconds(250));

        await visitor.Page.ReloadAsync();
        await visitor.WaitForStateAsync("connected", Connect);
        Assert.False(await visitor.Page.IsVisibleAsync("#join"), "the reloaded page showed the join-code form");

        // The tab is closed: its seat is kept for the unload grace, then the early visitor is gone and the visit waits.
        await visitor.Page.CloseAsync(new Microsoft.Playwright.PageCloseOptions { RunBeforeUnload = true });
        var waiting = await Poll.UntilAsync(() => scenario.Api.DescribeAsync(visit.Id),
            d => d.Contains("\"state\":\"scheduled\"", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "the visit to wait, scheduled, once the closed tab's seat is let go", TimeSpan.FromMilliseconds(250));
        scenario.Log("after the tab closed: " + waiting);

        // The link again, in a new tab of the same browser; then the kiosk joins and the visit is live.
        var again = await scenario.OpenVisitAsync(visit.VisitorTokens[0], "visitor-again", tabBeside: visitor);
        await again.WaitForStateAsync("connected", Connect);
        var kiosk = await scenario.OpenVisitAsync(visit.KioskToken, "kiosk");
        await kiosk.WaitForStateAsync("connected", Connect);
        await again.WaitForFramesAsync(10, Media);
        await kiosk.WaitForFramesAsync(10, Media);
        Assert.Contains("\"state\":\"live\"", await scenario.Api.DescribeAsync(visit.Id), StringComparison.Ordinal);
        var timeline = await scenario.Api.TimelineAsync(visit.Id);
        Assert.DoesNotContain(timeline.Entries, e => e.Kind == "ended");
        ChromiumInteropTests.AssertNoScriptErrors(again);
    }

    private const string NewsLogScript = "() => { const news = document.getElementById('news'); window.newsLog = []; "
        + "new MutationObserver(() => window.newsLog.push(news.textContent)).observe(news, { childList: true, characterData: true, subtree: true }); }";

    [Fact]
    public async Task After_an_8_s_cut_both_ways_both_pages_show_video_again_within_3_s_of_the_path_returning_by_ice_restart()
    {
        var recoveries = new List<double>();
        var restarts = new List<int>();
        var runs = Repeats.Of(3);
        for (var run = 0; run < runs; run++)
        {
            var (ms, count) = await CutAndRecoverAsync(run);
            recoveries.Add(ms);
            restarts.Add(count);
        }
        output.WriteLine("ICE restarts per run: " + string.Join(", ", restarts));
        // Every run kept its leg (no fresh join). The page restarts ICE when Chrome has called the path disconnected for 2 s;
        // when Chrome's own checks find the path again first (its disconnect detection varies under load) none is needed,
        // but over the runs of an 8 s cut the restart must have done the work.
        Assert.True(restarts.Sum() >= 1, "no run recovered by ICE restart: " + string.Join(", ", restarts));
        recoveries.Sort();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"recovery by ICE restart after an 8 s cut, {runs} runs: min {recoveries[0]:0} ms, median {recoveries[runs / 2]:0} ms, max {recoveries[^1]:0} ms"));
        // The goal is 3 s. On this shared 2-core machine a loaded run can take longer (a restarted connection is given 2.5 s
        // before the next restart), so the median must meet the goal and no run may take twice it.
        Assert.True(recoveries[runs / 2] <= 3000, $"median recovery {recoveries[runs / 2]:0} ms, over 3 s: {string.Join(", ", recoveries)}");
        Assert.All(recoveries, ms => Assert.True(ms <= 6000, $"video came back {ms:0} ms after the path returned, over 6 s"));
    }

    private async Task<(double Ms, int Restarts)> CutAndRecoverAsync(int run)
    {
        await using var scenario = await Scenario.StartAsync(output, test: $"{nameof(After_an_8_s_cut_both_ways_both_pages_show_video_again_within_3_s_of_the_path_returning_by_ice_restart)}-{run}");
        var (proxy, visit, kiosk, visitor) = await ConnectThroughProxyAsync(scenario, run);
        var leg = await LegAsync(visitor);

        var cutAt = DateTimeOffset.UtcNow;
        proxy.Cut = true;
        // The scenario itself: the network is gone for 8 s (not a wait for a condition).
        await Task.Delay(TimeSpan.FromSeconds(8));
        var kioskFrames = await FramesAsync(kiosk);
        var visitorFrames = await FramesAsync(visitor);
        proxy.Cut = false;
        var cutEnd = DateTimeOffset.UtcNow;

        // Both pages decode new frames again: the frame counter of whatever connection is current moves past where it was,
        // or (a new connection after a re-join) starts again and passes 10.
        await Poll.UntilAsync(async () => (await FramesAsync(kiosk), await FramesAsync(visitor)),
            f => Moved(f.Item1, kioskFrames) && Moved(f.Item2, visitorFrames), Connect, "both pages to decode video again",
            TimeSpan.FromMilliseconds(100));
        var back = Stopwatch.GetTimestamp();
        var backAt = DateTimeOffset.UtcNow;
        var first = proxy.FirstThroughAfterCut;
        var recovery = first == 0 ? double.NaN : Stopwatch.GetElapsedTime(first, back).TotalMilliseconds;
        scenario.Log(string.Create(CultureInfo.InvariantCulture, $"run {run}: video back on both pages {recovery:0} ms after the first datagram through"));
        Assert.Equal("connected", await visitor.StateAsync());
        Assert.Contains("\"state\":\"live\"", await scenario.Api.DescribeAsync(visit.Id), StringComparison.Ordinal);
        // The same leg: recovered on it (by ICE restart, a PATCH of it), not by a fresh join.
        Assert.Equal(leg, await LegAsync(visitor));
        var restarts = await visitor.Page.EvaluateAsync<int>("() => window.visitTimings.iceRestarts || 0");
        scenario.Log($"run {run}: {restarts} ICE restart(s) of leg {leg}");
        await AssertTimelineShowsTheCutAsync(scenario, visit, leg, recovery);
        if (run == 0)
        {
            // Once (a render takes a while): the recording declares the cut and is missing nothing else.
            await kiosk.WaitForFramesAsync((await kiosk.StatsAsync())!.FramesDecoded + 30, Media);
            await scenario.Api.TerminateAsync(visit.Id, "recovery test");
            await AssertRecordingDeclaresOnlyTheCutAsync(scenario, proxy, visit, cutAt, cutEnd, backAt);
        }
        return (recovery, restarts);
    }

    /// <summary>
    /// The visitor page notices the lost path and rejoins; the server keeps the visitor's seat as reconnecting: the
    /// kiosk page names the visitor as reconnecting and its tile says "Reconnecting…" rather than freezing; after the path
    /// returns the kiosk page says the visitor is back, and the same seat carries the visitor's video again.
    /// </summary>
    [Fact]
    public async Task A_party_whose_path_fails_is_shown_reconnecting_by_name_and_then_back()
    {
        await using var scenario = await Scenario.StartAsync(output);
        var (proxy, _, kiosk, visitor) = await ConnectThroughProxyAsync(scenario, 0);

        proxy.Cut = true;
        await Poll.UntilAsync(() => kiosk.Page.EvaluateAsync<string>(
                "() => [...document.querySelectorAll('#tiles .tile:not([hidden]) .reconnecting:not([hidden])')].map(e => e.textContent).join('|')"),
            text => text.Contains("Reconnecting", StringComparison.Ordinal), Media, "the kiosk's tile of the visitor to say Reconnecting…");
        var news = await Poll.UntilAsync(() => kiosk.Page.EvaluateAsync<string>("() => document.getElementById('news').textContent"),
            text => text.Contains("Visitor 1 is reconnecting", StringComparison.Ordinal), Media, "the kiosk page to name the visitor as reconnecting");
        scenario.Log("kiosk page during the cut: " + news);
        proxy.Cut = false;

        await Poll.UntilAsync(() => kiosk.Page.EvaluateAsync<string>("() => document.getElementById('news').textContent"),
            text => text.Contains("Visitor 1 is back", StringComparison.Ordinal), Connect, "the kiosk page to say the visitor is back");
        await visitor.WaitForStateAsync("connected", Connect);
        var frames = (await kiosk.StatsAsync())!.FramesDecoded;
        await kiosk.WaitForFramesAsync(frames + 30, Media);
        await kiosk.WaitForRemoteTileAsync(Media);
    }

    /// <summary>
    /// A party whose network is gone for good (every datagram cut, every request to the server refused): the server loses
    /// its consent (RFC 7675), keeps its seat as reconnecting for the reconnect grace (short here), and then it has left;
    /// the kiosk page says so by name and the visit goes on.
    /// </summary>
    [Fact]
    public async Task A_party_whose_path_dies_for_good_has_left_after_the_reconnect_grace_and_the_other_page_says_who()
    {
        var settings = new Dictionary<string, string>
        {
            ["MediaServer__Visits__ReconnectGrace"] = "00:00:06",
            ["MediaServer__WebRtc__ConsentTimeout"] = "00:00:05",
        };
        await using var scenario = await Scenario.StartAsync(output, settings);
        var proxy = scenario.Own(new UdpImpairmentProxy(scenario.Server.WebRtcPort, TestSeed.Value));
        var (visit, kiosk, visitor) = await scenario.OpenConnectedPairAsync(proxy, frames: 30);

        // The phone is off the network: no datagram gets through and no request reaches the server.
        await visitor.Page.RouteAsync("**/api/**", route => route.AbortAsync());
        proxy.Cut = true;
        var cutAt = System.Diagnostics.Stopwatch.GetTimestamp();
        await Poll.UntilAsync(() => kiosk.Page.EvaluateAsync<string>("() => document.getElementById('news').textContent"),
            text => text.Contains("Visitor 1 is reconnecting", StringComparison.Ordinal), Connect, "the kiosk page to name the visitor as reconnecting");
        var news = await Poll.UntilAsync(() => kiosk.Page.EvaluateAsync<string>("() => document.getElementById('news').textContent"),
            text => text.Contains("Visitor 1 has left", StringComparison.Ordinal), Connect, "the kiosk page to say the visitor has left");
        var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(cutAt).TotalSeconds;
        scenario.Log(string.Create(CultureInfo.InvariantCulture, $"kiosk page {seconds:0.0} s after the cut: {news}"));
        // Consent (5 s) and the grace (6 s) both had to pass: not sooner.
        Assert.True(seconds >= 10, $"the visitor was gone {seconds:0.0} s after the cut, before consent and grace ran out");
        var described = await scenario.Api.DescribeAsync(visit.Id);
        Assert.Contains("\"state\":\"live\"", described, StringComparison.Ordinal);
        var audit = await scenario.Server.Api.GetAuditAsync(await scenario.Server.MintTokenAsync("admin", "ops"));
        Assert.Contains(audit, e => e.Action == "visit.leg.left" && e.Outcome!.Contains("did not reconnect within 6 s", StringComparison.Ordinal));
        Assert.Equal("connected", await kiosk.StateAsync());
    }

    /// <summary>
    /// The server's own account of the cut (docs/api.md, timeline): the visitor, whose leg went through the cut, was
    /// reconnecting and then reconnected on the same leg, away for the cut's 8 s plus the time its media took to come back
    /// (the timeline samples once a second and counts from the last media it saw, so up to a second or two more).
    /// </summary>
    private static async Task AssertTimelineShowsTheCutAsync(Scenario scenario, TestVisit visit, string legLocation, double recoveryMs)
    {
        var leg = legLocation[(legLocation.LastIndexOf('/') + 1)..];
        TimelineDto timeline;
        try
        {
            timeline = await Poll.UntilAsync(() => scenario.Api.TimelineAsync(visit.Id),
                t => t.Of("v1").Any(e => e.Kind == "reconnected" && e.Leg == leg), TimeSpan.FromSeconds(20),
                "the timeline to show the visitor reconnected", TimeSpan.FromMilliseconds(250));
        }
        finally
        {
            var seen = await scenario.Api.TimelineAsync(visit.Id);
            scenario.Log($"timeline (leg {leg}): " + string.Join("; ", seen.Entries.Select(e =>
                string.Create(CultureInfo.InvariantCulture, $"{e.At:HH:mm:ss.fff} {e.Participant} {e.Kind} {e.Leg} {e.Cause} {e.Seconds}"))));
        }
        var entries = timeline.Of("v1");
        var down = entries.Last(e => e.Kind == "reconnecting" && e.Leg == leg);
        var up = entries.Last(e => e.Kind == "reconnected" && e.Leg == leg);
        Assert.True(up.Seq > down.Seq, "reconnected before reconnecting");
        Assert.Contains(down.Cause, new[] { "media-stalled", "ice-restart", "consent-lost" });
        var most = 8 + (recoveryMs / 1000) + 3;
        // At least the cut less the sampler's second and a second of scheduling on a loaded machine.
        Assert.True(up.Seconds is { } away && away >= 6 && away <= most,
            string.Create(CultureInfo.InvariantCulture, $"the timeline says the visitor was away {up.Seconds} s; the cut was 8 s and video was back {recoveryMs:0} ms after it"));
        var party = timeline.Parties.Single(p => p.Participant == "v1");
        Assert.Equal(1, party.Reconnects);
        Assert.False(party.Reconnecting);
    }

    /// <summary>
    /// The recording of a visit with an 8 s cut on the visitor's path: one segment (the server never stopped), verified; the
    /// visitor's tracks each have a gap from about the cut's start to at least its end (what the review copy blacks out), and
    /// no other gap anywhere, up to both pages decoding again at <paramref name="back"/>: nothing else is missing. A gap after
    /// that is the server's loss only if the visitor's media went through the proxy meanwhile; one where the visitor itself
    /// sent nothing (as the proxy saw it) is logged, not the server's to record.
    /// </summary>
    private static async Task AssertRecordingDeclaresOnlyTheCutAsync(Scenario scenario, UdpImpairmentProxy proxy, TestVisit visit, DateTimeOffset cutAt,
        DateTimeOffset cutEnd, DateTimeOffset back)
    {
        var investigator = await scenario.Server.MintTokenAsync("investigator", "inv-1");
        var recording = await Poll.UntilAsync(() => scenario.Server.Api.TryGetJsonAsync(investigator, $"api/recordings/{visit.Id}"),
            r => r.ValueKind == System.Text.Json.JsonValueKind.Object
                && r.GetProperty("recording").GetProperty("state").GetString() is "rendered" or "render_failed",
            TimeSpan.FromMinutes(3), "the recording to be rendered", TimeSpan.FromMilliseconds(500));
        var manifest = recording.GetProperty("manifest");
        Assert.Equal(1, manifest.GetProperty("segments").GetArrayLength());
        Assert.Equal(0, manifest.GetProperty("segmentGaps").GetArrayLength());
        var gaps = manifest.GetProperty("gaps").EnumerateArray()
            .Select(g => (Participant: g.GetProperty("participant").GetString()!, Kind: g.GetProperty("kind").GetString()!,
                From: g.GetProperty("from").GetDateTimeOffset(), To: g.GetProperty("to").GetDateTimeOffset()))
            .ToList();
        scenario.Log(string.Create(CultureInfo.InvariantCulture, $"cut {cutAt:HH:mm:ss.fff} .. {cutEnd:HH:mm:ss.fff}; gaps: ")
            + string.Join("; ", gaps.Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Participant} {g.Kind} {g.From:HH:mm:ss.fff} .. {g.To:HH:mm:ss.fff}"))));
        // A packet's time in the journal is its media time mapped onto the wall clock through the sender's reports, so the
        // first packet after the cut carries the time it was captured, not the time it got through: runs put the first audio
        // packet after the cut 0.6 s and (ci25, 2026-12-08) 1.03 s before the proxy let datagrams through, most likely audio
        // Chromium captured and held while its path was down. The gap must start within a second of the cut and end no more
        // than 1.5 s before the cut's end.
        foreach (var kind in new[] { "video", "audio" })
        {
            Assert.Contains(gaps, g => g.Participant == "v1" && g.Kind == kind
                && g.From >= cutAt.AddSeconds(-1.5) && g.From <= cutAt.AddSeconds(1) && g.To >= cutEnd.AddSeconds(-1.5));
        }
        // Nothing else missing: every gap lies within the cut and the recovery after it (a second each side for scheduling),
        // or is one in which the visitor sent nothing through the proxy (its length less the media-time mapping's half second,
        // within a second of it).
        var outside = gaps.Where(g => g.From < cutAt.AddSeconds(-1.5) || g.To > back.AddSeconds(1)).ToList();
        var unsent = outside.Where(g => g.Participant == "v1"
            && proxy.LongestPartySilence(g.From.AddSeconds(-1), g.To.AddSeconds(1)) >= g.To - g.From - TimeSpan.FromSeconds(0.5)).ToList();
        foreach (var g in outside)
        {
            var silence = proxy.LongestPartySilence(g.From.AddSeconds(-1), g.To.AddSeconds(1));
            scenario.Log(string.Create(CultureInfo.InvariantCulture,
                $"gap after the recovery: {g.Participant} {g.Kind} {g.From:HH:mm:ss.fff} .. {g.To:HH:mm:ss.fff}; the visitor's longest silence through the proxy around it {silence.TotalMilliseconds:0} ms"));
        }
        if (outside.Count > 0)
        {
            // Kept for a look: the journal holds each packet's arrival time beside its media time.
            var folder = Path.Combine(scenario.Server.RootDirectory, "data", "recordings", visit.Id);
            foreach (var file in Directory.GetFiles(folder, "*.msj").Concat(Directory.GetFiles(folder, "manifest*.json")))
            {
                File.Copy(file, Path.Combine(scenario.Artifacts, Path.GetFileName(file)), overwrite: true);
            }
            scenario.Log($"the journal and manifest are kept in {scenario.Artifacts}");
        }
        Assert.All(outside.Except(unsent), g => Assert.Fail(
            $"a gap outside the cut while the visitor's media went through: {g.Participant} {g.Kind} {g.From:O} .. {g.To:O}"));
        var verify = await scenario.Server.Api.GetJsonAsync(investigator, $"api/recordings/{visit.Id}/verify");
        Assert.True(verify.GetProperty("ok").GetBoolean(), "the recording does not verify: " + verify);
    }

    /// <summary>A kiosk page direct and a visitor page whose whole WebRTC leg goes through an impairment proxy, both decoding video.</summary>
    private static async Task<(UdpImpairmentProxy Proxy, TestVisit Visit, VisitPage Kiosk, VisitPage Visitor)> ConnectThroughProxyAsync(
        Scenario scenario, int seedOffset)
    {
        var proxy = scenario.Own(new UdpImpairmentProxy(scenario.Server.WebRtcPort, TestSeed.Value + seedOffset));
        var (visit, kiosk, visitor) = await scenario.OpenConnectedPairAsync(proxy, frames: 30);
        return (proxy, visit, kiosk, visitor);
    }

    private static Task<string> LegAsync(VisitPage page) => page.Page.EvaluateAsync<string>("() => String(window.visitLeg)");

    private static bool Moved((string Pc, long Frames) now, (string Pc, long Frames) before) => VisitRestartPageTests.Moved(now, before);

    private static Task<(string Pc, long Frames)> FramesAsync(VisitPage page) => VisitRestartPageTests.FramesAsync(page);
}
