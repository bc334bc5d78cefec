using MediaServer.Testing.WebRtc;
using MediaServer.WebRtcTests.Harness;
using Xunit.Abstractions;

namespace MediaServer.WebRtcTests;

/// <summary>
/// Debian's aiortc as a party, one kind per connection (docs/peers.md: aiortc 1.4 stops sending when it offers both), with a
/// Chromium page as the other party.
/// </summary>
public sealed class AiortcInteropTests(ITestOutputHelper output)
{
    private const double Seconds = 8;

    [Fact]
    public async Task Aiortc_visitor_exchanges_video_with_a_chromium_kiosk()
    {
        await using var scenario = await Scenario.StartAsync(output);
        var visit = await scenario.Api.CreateVisitAsync(visitors: 1);
        var kiosk = await scenario.OpenVisitAsync(visit.KioskToken, "kiosk");
        await kiosk.WaitForStateAsync("connected", TimeSpan.FromSeconds(30));

        var aiortc = scenario.Own(AiortcPeer.Start(scenario.Server.BaseAddress, visit.Id, visit.VisitorTokens[0], "video", Seconds));
        var first = await kiosk.WaitForFramesAsync(1, TimeSpan.FromSeconds(30));
        var later = await kiosk.WaitForFramesAsync(first!.FramesDecoded + 30, TimeSpan.FromSeconds(30));
        await kiosk.WaitForRemoteTileAsync(TimeSpan.FromSeconds(30));
        await kiosk.ScreenshotAsync(scenario.Artifacts);
        var result = await AiortcPeer.ResultAsync(aiortc, TimeSpan.FromSeconds(Seconds + 60));
        // What the kiosk sent aiortc: keyframes, and the keyframe requests (PLI/FIR) the server relayed to it.
        var sent = (await kiosk.StatsAsync())?.Outbound.FirstOrDefault(o => o.Kind == "video");
        scenario.Log($"kiosk video sender: {sent}");

        scenario.Log($"kiosk decoded aiortc's video: {first.FramesDecoded} → {later!.FramesDecoded} frames; aiortc: {result}");
        Assert.True(result.Ok, $"aiortc: {result}\n{aiortc.Describe()}");
        Assert.True(result.FramesReceived >= 60, $"aiortc received {result.FramesReceived} video frames in {Seconds} s\n{aiortc.StandardError}");
        ChromiumInteropTests.AssertNoScriptErrors(kiosk);
    }

    [Fact]
    public async Task Aiortc_kiosk_exchanges_audio_with_a_chromium_visitor()
    {
        await using var scenario = await Scenario.StartAsync(output);
        var visit = await scenario.Api.CreateVisitAsync(visitors: 1);
        var visitor = await scenario.OpenVisitAsync(visit.VisitorTokens[0], "visitor");
        await visitor.WaitForStateAsync("connected", TimeSpan.FromSeconds(30));

        var aiortc = scenario.Own(AiortcPeer.Start(scenario.Server.BaseAddress, visit.Id, visit.KioskToken, "audio", Seconds));
        var first = await visitor.WaitForAudioPacketsAsync(1, TimeSpan.FromSeconds(30));
        var later = await visitor.WaitForAudioPacketsAsync(first!.AudioPackets + 50, TimeSpan.FromSeconds(30));
        var result = await AiortcPeer.ResultAsync(aiortc, TimeSpan.FromSeconds(Seconds + 60));

        scenario.Log($"visitor received aiortc's audio: {first.AudioPackets} → {later!.AudioPackets} packets; aiortc: {result}");
        Assert.True(result.Ok, $"aiortc: {result}\n{aiortc.Describe()}");
        // Chromium sends 20 ms Opus frames: 50 a second.
        Assert.True(result.FramesReceived >= 150, $"aiortc received {result.FramesReceived} audio frames in {Seconds} s\n{aiortc.StandardError}");
        ChromiumInteropTests.AssertNoScriptErrors(visitor);
    }
}
