using System.Globalization;
using MediaServer.Testing;
using MediaServer.Testing.WebRtc;
using MediaServer.WebRtcTests.Harness;
using Xunit.Abstractions;

namespace MediaServer.WebRtcTests;

/// <summary>Two Chromium pages on the server's /visit page: a kiosk and a family member, each a WebRTC leg (docs/api.md SDP rules).</summary>
public sealed class ChromiumInteropTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Connect = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Media = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Kiosk_and_visitor_in_chromium_see_and_hear_each_other()
    {
        await using var scenario = await Scenario.StartAsync(output);
        var (visit, kiosk, visitor) = await scenario.OpenConnectedPairAsync(frames: 1);
        foreach (var page in new[] { kiosk, visitor })
        {
            await AssertMediaFlowsAsync(scenario, page);
        }
        foreach (var page in new[] { kiosk, visitor })
        {
            await page.WaitForRemoteTileAsync(Media);
            await page.ScreenshotAsync(scenario.Artifacts);
        }
        scenario.Log("server view: " + await scenario.Api.DescribeAsync(visit.Id));

        // Leaving says so on the page that left.
        await visitor.Page.ClickAsync("#leave");
        await visitor.Page.ClickAsync("#leave-yes");
        await visitor.WaitForStateAsync("ended", Connect);
        Assert.StartsWith("You left the visit", await visitor.EndedTextAsync(), StringComparison.Ordinal);
        AssertNoScriptErrors(kiosk);
        AssertNoScriptErrors(visitor);
    }

    [Fact]
    public async Task A_visitor_joining_ten_seconds_later_sees_the_kiosk_within_a_second_of_applying_the_answer()
    {
        await using var scenario = await Scenario.StartAsync(output);
        var visit = await scenario.Api.CreateVisitAsync(visitors: 1);
        var kiosk = await scenario.OpenVisitAsync(visit.KioskToken, "kiosk");
        await kiosk.WaitForStateAsync("connected", Connect);
        await Poll.UntilAsync(kiosk.StatsAsync, s => s?.Outbound.Any(o => o.Kind == "video" && o.FramesEncoded > 0) == true, Media,
            "the kiosk to be sending video");

        // The scenario itself: the family member arrives ten seconds into the visit (not a wait for a condition).
        await Task.Delay(TimeSpan.FromSeconds(10));
        var visitor = await scenario.OpenVisitAsync(visit.VisitorTokens[0], "visitor");
        await visitor.WaitForStateAsync("connected", Connect);
        await visitor.WaitForFramesAsync(1, Media);
        var timings = await Poll.UntilAsync(visitor.TimingsAsync, t => t?.FirstRemoteFrameAt is not null, Media,
            "the visitor page to record its first remote frame");
        var fromAnswer = timings!.FirstRemoteFrameAt!.Value - timings.RemoteDescriptionAt!.Value;
        var fromConnected = timings.FirstRemoteFrameAt.Value - timings.ConnectedAt!.Value;
        var kioskTimings = await Poll.UntilAsync(kiosk.TimingsAsync, t => t?.FirstRemoteFrameEpoch is not null, Media,
            "the kiosk page to record the newcomer's first frame");
        var kioskSeesNewcomer = kioskTimings!.FirstRemoteFrameEpoch!.Value - timings.ConnectedEpoch!.Value;
        scenario.Log(string.Create(CultureInfo.InvariantCulture,
            $"late join: visitor first remote frame {fromAnswer:0} ms after setRemoteDescription, {fromConnected:0} ms after 'connected' "
            + $"(answer→connected {timings.ConnectedAt.Value - timings.RemoteDescriptionAt.Value:0} ms); "
            + $"kiosk decoded the newcomer's first frame {kioskSeesNewcomer:0} ms after the newcomer connected. Poll step 50 ms."));
        await visitor.ScreenshotAsync(scenario.Artifacts);

        Assert.True(fromAnswer < 1000, $"first remote frame {fromAnswer:0} ms after setRemoteDescription (limit 1000 ms)");
        AssertNoScriptErrors(visitor);
    }

    [Fact]
    public async Task Kiosk_sees_two_visitors_on_separate_slots()
    {
        await using var scenario = await Scenario.StartAsync(output);
        var visit = await scenario.Api.CreateVisitAsync(visitors: 2);
        var kiosk = await scenario.OpenVisitAsync(visit.KioskToken, "kiosk");
        var first = await scenario.OpenVisitAsync(visit.VisitorTokens[0], "visitor1");
        var second = await scenario.OpenVisitAsync(visit.VisitorTokens[1], "visitor2");
        foreach (var page in new[] { kiosk, first, second })
        {
            await page.WaitForStateAsync("connected", Connect);
        }

        // docs/api.md: the sendrecv pair carries the first visitor, the next recvonly pair the second; each decodes on its own slot.
        var stats = await Poll.UntilAsync(kiosk.StatsAsync,
            s => s is not null && s.Video(0)?.FramesDecoded > 30 && s.Video(1)?.FramesDecoded > 30
                && s.Audio(0)?.PacketsReceived > 25 && s.Audio(1)?.PacketsReceived > 25,
            Media, "the kiosk to decode both visitors, each on its own slot");
        scenario.Log($"kiosk slot 0: {stats!.Video(0)} {stats.Audio(0)}; slot 1: {stats.Video(1)} {stats.Audio(1)}");
        await Poll.UntilAsync(() => kiosk.Page.EvaluateAsync<int>(
                "() => [...document.querySelectorAll('#tiles .tile:not([hidden]) video')].filter(v => v.videoWidth > 0).length"),
            n => n == 2, Media, "two remote tiles on the kiosk page");
        await kiosk.ScreenshotAsync(scenario.Artifacts);
        // Each visitor sees the kiosk first (slot 0) and the other visitor on slot 1.
        foreach (var page in new[] { first, second })
        {
            await Poll.UntilAsync(page.StatsAsync, s => s is not null && s.Video(0)?.FramesDecoded > 30 && s.Video(1)?.FramesDecoded > 30,
                Media, $"{page.Name} to decode the kiosk and the other visitor");
        }
        AssertNoScriptErrors(kiosk);
    }

    [Fact]
    public async Task Terminating_the_visit_tells_both_pages_that_the_facility_ended_it()
    {
        await using var scenario = await Scenario.StartAsync(output);
        var (visit, kiosk, visitor) = await scenario.OpenConnectedPairAsync(frames: 1);

        var terminatedAt = DateTimeOffset.UtcNow;
        await scenario.Api.TerminateAsync(visit.Id, "test: officer ends the visit");
        // The page notices the closed leg (DTLS close, or ICE silent for 5 s), asks once more, and the 410 names the facility.
        foreach (var page in new[] { kiosk, visitor })
        {
            await page.WaitForStateAsync("ended", TimeSpan.FromSeconds(30));
            Assert.StartsWith("The facility ended this visit", await page.EndedTextAsync(), StringComparison.Ordinal);
        }
        scenario.Log($"both pages showed the facility message {(DateTimeOffset.UtcNow - terminatedAt).TotalMilliseconds:0} ms after terminate");
        await visitor.ScreenshotAsync(scenario.Artifacts);
    }

    /// <summary>The first slot's remote video decodes more and more frames, and its audio keeps arriving.</summary>
    internal static async Task AssertMediaFlowsAsync(Scenario scenario, VisitPage page)
    {
        var first = await page.WaitForFramesAsync(1, Media);
        var later = await page.WaitForFramesAsync(first!.FramesDecoded + 30, Media);
        var audio = await page.WaitForAudioPacketsAsync(1, Media);
        var moreAudio = await page.WaitForAudioPacketsAsync(audio!.AudioPackets + 25, Media);
        scenario.Log($"{page.Name}: remote video framesDecoded {first.FramesDecoded} → {later!.FramesDecoded}, "
            + $"remote audio packetsReceived {audio.AudioPackets} → {moreAudio!.AudioPackets}");
    }

    internal static void AssertNoScriptErrors(VisitPage page) =>
        Assert.DoesNotContain(page.Errors, e => !e.Contains("Failed to load resource", StringComparison.Ordinal));
}
