using System.Globalization;
using MediaServer.Testing.WebRtc;
using MediaServer.WebRtcTests.Harness;
using Xunit.Abstractions;

namespace MediaServer.WebRtcTests;

/// <summary>
/// Packet loss between one party and the server: a Chromium kiosk sends, a Chromium visitor receives through a seeded UDP proxy
/// that drops server→visitor SRTP media. With NACK the server resends lost packets from the track's cache (RFC 4585 §6.2.1),
/// so the visitor should decode nearly as many frames as without loss; without NACK it can only ask for keyframes.
/// </summary>
public sealed class LossTests(ITestOutputHelper output)
{
    private const double Loss = 0.05;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Connect = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task With_nack_a_visitor_behind_five_percent_loss_decodes_at_least_95_percent_of_the_frames_it_decodes_without_loss()
    {
        WindowFigures clean, withNack, withoutNack;
        string? answerWithoutNack;
        await using (var scenario = await Scenario.StartAsync(output, test: "Loss_nack_on"))
        {
            var (kiosk, visitor, proxy) = await ConnectAsync(scenario);
            clean = await MeasureAsync(kiosk, visitor, proxy, 0);
            withNack = await MeasureAsync(kiosk, visitor, proxy, Loss);
        }
        await using (var scenario = await Scenario.StartAsync(output,
            new Dictionary<string, string> { ["MediaServer__WebRtc__Nack"] = "false" }, test: "Loss_nack_off"))
        {
            var (kiosk, visitor, proxy) = await ConnectAsync(scenario);
            withoutNack = await MeasureAsync(kiosk, visitor, proxy, Loss);
            answerWithoutNack = proxy.LastAnswer;
        }

        output.WriteLine($"loss test, {Window.TotalSeconds:0} s windows, proxy seed {TestSeed.Value}, VP8 from a Chromium kiosk to a Chromium visitor:");
        output.WriteLine($"  no loss:          {clean}");
        output.WriteLine($"  5% loss, NACK:    {withNack}");
        output.WriteLine($"  5% loss, no NACK: {withoutNack}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  frames decoded with NACK = {100.0 * withNack.FramesDecoded / clean.FramesDecoded:0.0}% of no loss "
            + $"({100.0 * withNack.DecodedShare / clean.DecodedShare:0.0}% per frame the kiosk encoded); "
            + $"without NACK = {100.0 * withoutNack.FramesDecoded / clean.FramesDecoded:0.0}% "
            + $"({100.0 * withoutNack.DecodedShare / clean.DecodedShare:0.0}% per frame encoded)"));

        // The proxy really dropped about 5% of the media; NACK off left plain nack out of the answer (Chromium, as the offerer,
        // still sends NACKs from its own offer's feedback, so off is the server not answering them) and the losses stayed.
        Assert.InRange(withNack.DropRate, 0.03, 0.07);
        Assert.InRange(withoutNack.DropRate, 0.03, 0.07);
        Assert.True(withNack.Nacks > 0, $"the visitor sent no NACK under loss: {withNack}");
        Assert.DoesNotMatch(@"a=rtcp-fb:\d+ nack\r\n", answerWithoutNack ?? "");
        Assert.Contains(" nack pli\r\n", answerWithoutNack ?? "", StringComparison.Ordinal);
        Assert.True(withoutNack.PacketsLost > 0, $"without NACK the losses should stay lost: {withoutNack}");
        Assert.True(clean.FramesDecoded > 0 && clean.FramesEncodedBySender > 0, $"nothing decoded without loss: {clean}");
        // Compared per frame the kiosk encoded in the same window: the sender's frame rate wanders on a busy two-core machine
        // (its encoder adapts to CPU), and that is not what the relay's loss repair is measured by.
        Assert.True(withNack.DecodedShare >= 0.95 * clean.DecodedShare,
            $"with NACK the visitor decoded {withNack.FramesDecoded} of {withNack.FramesEncodedBySender} frames sent, below 95% of "
            + $"the {clean.FramesDecoded} of {clean.FramesEncodedBySender} it decoded without loss");
    }

    private static async Task<(VisitPage Kiosk, VisitPage Visitor, UdpImpairmentProxy Proxy)> ConnectAsync(Scenario scenario)
    {
        var proxy = scenario.Own(new UdpImpairmentProxy(scenario.Server.WebRtcPort, TestSeed.Value));
        var visit = await scenario.Api.CreateVisitAsync(visitors: 1);
        var kiosk = await scenario.OpenVisitAsync(visit.KioskToken, "kiosk");
        var visitor = await scenario.OpenVisitThroughAsync(proxy, visit.VisitorTokens[0], "visitor");
        await kiosk.WaitForStateAsync("connected", Connect);
        await visitor.WaitForStateAsync("connected", Connect);
        // Past the first keyframe and the start of the sender's bitrate ramp.
        await visitor.WaitForFramesAsync(30, Connect);
        return (kiosk, visitor, proxy);
    }

    /// <summary>Counts what the visitor decodes over one fixed window of live media, with the proxy dropping <paramref name="loss"/>.</summary>
    private async Task<WindowFigures> MeasureAsync(VisitPage kiosk, VisitPage visitor, UdpImpairmentProxy proxy, double loss)
    {
        proxy.LossRate = loss;
        var (before, sentBefore) = (await visitor.StatsAsync(), await kiosk.StatsAsync());
        var (mediaBefore, droppedBefore) = (proxy.MediaToParty, proxy.DroppedToParty);
        // The window is the measurement itself: a fixed span of media, not a wait for a condition.
        await Task.Delay(Window);
        var (after, sentAfter) = (await visitor.StatsAsync(), await kiosk.StatsAsync());
        var (mediaAfter, droppedAfter) = (proxy.MediaToParty, proxy.DroppedToParty);
        proxy.LossRate = 0;

        var start = before?.Video(0) ?? throw new InvalidOperationException("no inbound video at the start of the window");
        var end = after?.Video(0) ?? throw new InvalidOperationException("no inbound video at the end of the window");
        var encoded = (sentAfter?.Outbound.FirstOrDefault(o => o.Kind == "video")?.FramesEncoded ?? 0)
            - (sentBefore?.Outbound.FirstOrDefault(o => o.Kind == "video")?.FramesEncoded ?? 0);
        var figures = new WindowFigures(
            FramesDecoded: end.FramesDecoded - start.FramesDecoded,
            FramesEncodedBySender: encoded,
            FramesDropped: end.FramesDropped - start.FramesDropped,
            Freezes: end.FreezeCount - start.FreezeCount,
            PacketsLost: end.PacketsLost - start.PacketsLost,
            Nacks: end.NackCount - start.NackCount,
            KeyFrames: end.KeyFramesDecoded - start.KeyFramesDecoded,
            MediaPackets: mediaAfter - mediaBefore,
            Dropped: droppedAfter - droppedBefore);
        var kioskVideo = sentAfter?.Outbound.FirstOrDefault(o => o.Kind == "video");
        output.WriteLine($"window at {loss:P0} loss: {figures}; kiosk encoder at the end: {kioskVideo?.FrameWidth} px wide, "
            + $"{kioskVideo?.FramesPerSecond} fps, limited by {kioskVideo?.QualityLimitationReason}");
        return figures;
    }

    private sealed record WindowFigures(long FramesDecoded, long FramesEncodedBySender, long FramesDropped, long Freezes, long PacketsLost,
        long Nacks, long KeyFrames, long MediaPackets, long Dropped)
    {
        public double DropRate => MediaPackets == 0 ? 0 : (double)Dropped / MediaPackets;

        /// <summary>Frames decoded per frame the sender encoded in the window.</summary>
        public double DecodedShare => FramesEncodedBySender == 0 ? 0 : (double)FramesDecoded / FramesEncodedBySender;

        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"framesDecoded {FramesDecoded} (sender encoded {FramesEncodedBySender}), framesDropped {FramesDropped}, freezes {Freezes}, "
            + $"packetsLost {PacketsLost}, NACKs sent {Nacks}, keyframes {KeyFrames}; proxy dropped {Dropped} of {MediaPackets} "
            + $"SRTP media packets ({DropRate:P1})");
    }
}
