using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using MediaServer.Testing;
using MediaServer.Testing.WebRtc;
using MediaServer.WebRtcTests.Harness;
using Xunit.Abstractions;

namespace MediaServer.WebRtcTests;

/// <summary>
/// A server restart in the middle of a visit, as the two Chromium pages live it: the server is killed (SIGKILL) or stopped
/// (SIGTERM) and started again on the same ports and data; both pages come back with video by themselves, the visit stays
/// live, and its recording has a segment per run of the server and verifies.
/// </summary>
public sealed class VisitRestartPageTests(ITestOutputHelper output)
{
    private static readonly int Restarts = Repeats.Of(3);
    private static readonly TimeSpan Back = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task After_each_restart_on_the_same_ports_both_pages_show_video_again_within_10_s_of_healthz_and_the_recording_verifies(bool kill)
    {
        await using var scenario = await Scenario.StartAsync(output, test: $"restart-{(kill ? "sigkill" : "sigterm")}");
        var (visit, kiosk, visitor) = await scenario.OpenConnectedPairAsync(frames: 30);
        var recoveries = new List<double>();
        for (var run = 0; run < Restarts; run++)
        {
            var kioskFrames = await FramesAsync(kiosk);
            var visitorFrames = await FramesAsync(visitor);
            var server = await scenario.RestartServerAsync(kill);
            var healthy = Stopwatch.GetTimestamp();
            Assert.Contains("\"state\":\"live\"", await scenario.Api.DescribeAsync(visit.Id), StringComparison.Ordinal);

            // Both pages decode frames of the other on a new connection (the re-join): 10 frames on it. The old connection
            // does not count: a stopping server relays media through its drain window, so its frames still move after the
            // snapshot, and a page that had not re-joined yet would pass (and the next restart would find no one recorded).
            await Poll.UntilAsync(async () => (await FramesAsync(kiosk), await FramesAsync(visitor)),
                f => Rejoined(f.Item1, kioskFrames) && Rejoined(f.Item2, visitorFrames), Back, "both pages to decode video again on a new connection",
                TimeSpan.FromMilliseconds(100));
            var ms = Stopwatch.GetElapsedTime(healthy).TotalMilliseconds;
            recoveries.Add(ms);
            scenario.Log(string.Create(CultureInfo.InvariantCulture,
                $"{(kill ? "SIGKILL" : "SIGTERM")} run {run}: both pages show video {ms:0} ms after /healthz answered (http {server.HttpPort}, webrtc {server.WebRtcPort})"));
            Assert.Equal("connected", await kiosk.StateAsync());
            Assert.Equal("connected", await visitor.StateAsync());
            Assert.True(ms <= 10_000, $"run {run}: video back {ms:0} ms after /healthz, over 10 s");
            // The server has seen both back (its sampler, once a second) before the next restart: a crash before that leaves
            // the parties away since the one before, so the timeline would rightly show one drop for two restarts.
            await Poll.UntilAsync(() => scenario.Api.TimelineAsync(visit.Id),
                t => Restarted(t, "i1", "reconnected") > run && Restarted(t, "v1", "reconnected") > run, TimeSpan.FromSeconds(10),
                $"the timeline to show both parties back after restart {run}", TimeSpan.FromMilliseconds(250));
        }
        recoveries.Sort();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"recovery after {(kill ? "SIGKILL" : "SIGTERM")}, {Restarts} runs, /healthz -> video on both pages: min {recoveries[0]:0} ms, median {recoveries[Restarts / 2]:0} ms, max {recoveries[^1]:0} ms"));
        Assert.Contains("\"state\":\"live\"", await scenario.Api.DescribeAsync(visit.Id), StringComparison.Ordinal);
        await AssertTimelineShowsTheRestartsAsync(scenario, visit);
        // A few more seconds in the last segment, then the officer ends the visit.
        var frames = (await kiosk.StatsAsync())!.FramesDecoded;
        await kiosk.WaitForFramesAsync(frames + 60, Back);
        await scenario.Api.TerminateAsync(visit.Id, "restart test");

        var investigator = await scenario.Server.MintTokenAsync("investigator", "inv-1");
        var recording = await Poll.UntilAsync(() => scenario.Server.Api.TryGetJsonAsync(investigator, $"api/recordings/{visit.Id}"),
            r => r.ValueKind == JsonValueKind.Object && r.GetProperty("recording").GetProperty("state").GetString() is "rendered" or "render_failed",
            TimeSpan.FromMinutes(5), "the recording to be rendered", TimeSpan.FromMilliseconds(500));
        var segments = recording.GetProperty("manifest").GetProperty("segments").EnumerateArray().ToList();
        scenario.Log($"{segments.Count} segments: " + string.Join("; ", segments.Select(s => s.GetProperty("file").GetString() + " " + s.GetProperty("state").GetString())));
        Assert.Equal(Restarts + 1, segments.Count);
        var manifest = recording.GetProperty("manifest");
        var segmentGaps = manifest.GetProperty("segmentGaps").EnumerateArray().ToList();
        Assert.Equal(Restarts, segmentGaps.Count);
        AssertReviewCopyShowsEachGap(scenario, manifest, segmentGaps);
        var verify = await scenario.Server.Api.TryGetJsonAsync(investigator, $"api/recordings/{visit.Id}/verify");
        Assert.True(verify.GetProperty("ok").GetBoolean(), "the recording does not verify: " + verify);
        ChromiumInteropTests.AssertNoScriptErrors(kiosk);
        ChromiumInteropTests.AssertNoScriptErrors(visitor);
    }

    /// <summary>
    /// The server's own account of the restarts (docs/api.md, timeline): each party was reconnecting for a server restart once
    /// per restart and came back (reconnected, server-restart) each time; nobody is away at the end.
    /// </summary>
    private static async Task AssertTimelineShowsTheRestartsAsync(Scenario scenario, TestVisit visit)
    {
        TimelineDto timeline;
        try
        {
            timeline = await Poll.UntilAsync(() => scenario.Api.TimelineAsync(visit.Id),
                t => t.Parties.All(p => !p.Reconnecting) && Restarted(t, "i1", "reconnected") >= Restarts && Restarted(t, "v1", "reconnected") >= Restarts,
                TimeSpan.FromSeconds(20), "the timeline to show both parties back after every restart", TimeSpan.FromMilliseconds(250));
        }
        finally
        {
            var seen = await scenario.Api.TimelineAsync(visit.Id);
            scenario.Log("timeline: " + string.Join("; ", seen.Entries.Where(e => e.Kind is not ("quality" or "media-out" or "token-used"))
                .Select(e => $"{e.At:HH:mm:ss.f} {e.Participant} {e.Kind} {e.Leg} {e.Cause} {e.Seconds}")));
            scenario.Log("parties: " + string.Join("; ", seen.Parties.Select(p => $"{p.Participant} reconnects {p.Reconnects} reconnecting {p.Reconnecting}")));
        }
        foreach (var participant in new[] { "i1", "v1" })
        {
            Assert.Equal(Restarts, Restarted(timeline, participant, "reconnecting"));
            Assert.Equal(Restarts, Restarted(timeline, participant, "reconnected"));
            Assert.All(timeline.Of(participant).Where(e => e.Kind == "reconnected"), e => Assert.True(e.Seconds > 0, $"{participant} back after {e.Seconds} s"));
        }
    }

    /// <summary>How many <paramref name="kind"/> entries of <paramref name="participant"/> name a server restart.</summary>
    private static int Restarted(TimelineDto timeline, string participant, string kind) =>
        timeline.Of(participant).Count(e => e.Kind == kind && e.Cause == "server-restart");

    /// <summary>
    /// The review copy shows every restart's gap: the span it covers runs over the gaps (it is not the segments end to end), and
    /// within each unrecorded span every party's video track has a gap listed (the review copy lays a black box over it).
    /// </summary>
    private static void AssertReviewCopyShowsEachGap(Scenario scenario, JsonElement manifest, List<JsonElement> segmentGaps)
    {
        var unrecorded = segmentGaps.Sum(g => g.GetProperty("seconds").GetDouble());
        var span = manifest.GetProperty("durationSeconds").GetDouble();
        scenario.Log(string.Create(CultureInfo.InvariantCulture, $"review copy span {span:0.0} s, {unrecorded:0.0} s of it between segments"));
        Assert.True(span >= unrecorded + 5, $"the review copy's span ({span:0.0} s) does not cover the {unrecorded:0.0} s between its segments");
        var trackGaps = manifest.GetProperty("gaps").EnumerateArray()
            .Select(g => (Participant: g.GetProperty("participant").GetString(), Kind: g.GetProperty("kind").GetString(),
                From: g.GetProperty("from").GetDateTimeOffset(), To: g.GetProperty("to").GetDateTimeOffset()))
            .ToList();
        foreach (var gap in segmentGaps)
        {
            var from = gap.GetProperty("from").GetDateTimeOffset();
            var to = gap.GetProperty("to").GetDateTimeOffset();
            foreach (var participant in new[] { "i1", "v1" })
            {
                Assert.True(trackGaps.Any(t => t.Participant == participant && t.Kind == "video" && t.From <= from && t.To >= to),
                    $"no video gap of {participant} covers the unrecorded span {from:O} .. {to:O}: {string.Join(", ", trackGaps)}");
            }
        }
    }

    /// <summary>Frames on a new peer connection (the page joined again), not on the one of <paramref name="before"/>.</summary>
    private static bool Rejoined((string Pc, long Frames) now, (string Pc, long Frames) before) => now.Pc != before.Pc && now.Frames >= 10;

    internal static bool Moved((string Pc, long Frames) now, (string Pc, long Frames) before) =>
        now.Pc == before.Pc ? now.Frames >= before.Frames + 10 : now.Frames >= 10;

    /// <summary>An identity of the page's current peer connection (when it was made) and its decoded frames.</summary>
    internal static async Task<(string Pc, long Frames)> FramesAsync(VisitPage page)
    {
        var generation = await page.Page.EvaluateAsync<string>("() => String(window.visitTimings && window.visitTimings.started)");
        var stats = await page.StatsAsync();
        return (generation, stats?.FramesDecoded ?? 0);
    }
}
