using MediaServer.WebRtcTests.Harness;
using Xunit.Abstractions;

namespace MediaServer.WebRtcTests;

/// <summary>A plain-RTP kiosk (FFmpeg) and a WebRTC visitor (Chromium) in one visit: the relay bridges the two leg kinds.</summary>
public sealed class MixedVisitTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Plain_rtp_kiosk_and_chromium_visitor_receive_each_other()
    {
        await using var scenario = await Scenario.StartAsync(output);
        var visit = await scenario.Api.CreateVisitAsync(visitors: 1);
        var ffmpeg = scenario.Own(new FfmpegPeer(Path.Combine(scenario.Artifacts, "ffmpeg-kiosk")));
        await ffmpeg.JoinAsync(scenario.Api, visit.Id, visit.KioskToken);
        ffmpeg.StartReceiving();
        ffmpeg.StartSending(TimeSpan.FromSeconds(120));

        var visitor = await scenario.OpenVisitAsync(visit.VisitorTokens[0], "visitor");
        await visitor.WaitForStateAsync("connected", TimeSpan.FromSeconds(30));
        await ChromiumInteropTests.AssertMediaFlowsAsync(scenario, visitor);
        await visitor.WaitForRemoteTileAsync(TimeSpan.FromSeconds(30));
        await visitor.ScreenshotAsync(scenario.Artifacts);
        // Let the visitor's media reach FFmpeg for a while after the visitor's side is known to flow.
        await Eventually.Until(visitor.StatsAsync,
            s => s?.Outbound.Any(o => o.Kind == "video" && o.FramesEncoded >= 90) == true, TimeSpan.FromSeconds(30),
            "the visitor to have sent 90 video frames");
        scenario.Log("server view: " + await scenario.Api.DescribeAsync(visit.Id));

        var (video, audio) = await ffmpeg.StopReceivingAndCountAsync();
        scenario.Log($"ffmpeg kiosk kept {video} video frames and {audio} audio frames from the Chromium visitor");
        Assert.True(video >= 30, $"FFmpeg kiosk decoded {video} video frames from the visitor.\n{ffmpeg.Log}");
        Assert.True(audio >= 50, $"FFmpeg kiosk decoded {audio} audio frames from the visitor.\n{ffmpeg.Log}");
        ChromiumInteropTests.AssertNoScriptErrors(visitor);
    }
}
