using System.Net;
using MediaServer.Testing;
using MediaServer.Testing.Rtp;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests;

/// <summary>
/// Hostile or broken datagrams at a live leg's port are dropped and counted by reason, are never relayed, and do
/// not disturb the legitimate stream.
/// </summary>
public sealed class BadPacketTests(ITestOutputHelper output)
{
    private const int PerKind = 25;
    private const byte RogueFill = 0xEE;

    [Fact]
    public async Task Rogue_truncated_and_garbage_datagrams_are_dropped_by_reason_while_the_relay_keeps_flowing()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1);
        await using var kiosk = new RtpParty("kiosk", 1);
        await using var visitor = new RtpParty("visitor1", 2);
        var kioskLeg = await server.Api.JoinAsync(visit.KioskToken, visit.Id, kiosk.OfferSdp);
        var visitorLeg = await server.Api.JoinAsync(visit.VisitorToken(1), visit.Id, visitor.OfferSdp);
        kiosk.StartSending(kioskLeg.AnswerSdp);
        visitor.StartSending(visitorLeg.AnswerSdp);
        // Relaying both ways, so both senders' addresses are latched before anything hostile arrives.
        await visitor.VideoIn.WaitForRtpAsync(30, TimeSpan.FromSeconds(10), "kiosk video at visitor1");
        await kiosk.VideoIn.WaitForRtpAsync(30, TimeSpan.FromSeconds(10), "visitor1 video at kiosk");
        var before = await server.Api.GetMetricsAsync();
        output.WriteLine("metrics before:\n" + before.Text);

        // Well-formed RTP for the kiosk's video port, from a port on the kiosk's IP that never joined.
        await using (var rogue = new RtpSender(kiosk.ServerVideo!, ssrc: 0xBADBAD, payloadType: 96, PortAllocator.FreeClientRtpPair(), seed: 99))
        {
            for (var i = 0; i < PerKind; i++)
            {
                rogue.Send(RtpSender.Vp8Payload(i, fill: RogueFill), marker: true, 3000);
            }
        }

        // From the kiosk's own (latched) address: shorter than an RTP header, then seeded random non-RTP bytes.
        var random = new Random(2024);
        for (var i = 0; i < PerKind; i++)
        {
            kiosk.VideoOut!.SendRaw(new byte[] { 0x80, 0x60, 0x00, 0x01, 0x00 });
            var garbage = new byte[random.Next(1, 300)];
            random.NextBytes(garbage);
            garbage[0] = (byte)(garbage[0] & 0x7F); // version 0 or 1: never RTP version 2 (RFC 3550 §5.1)
            kiosk.VideoOut!.SendRaw(garbage);
        }

        MetricsSnapshot after;
        try
        {
            after = await Poll.UntilAsync(
                server.Api.GetMetricsAsync,
                m => Drops(m, "malformed") - Drops(before, "malformed") >= 2 * PerKind
                    && Drops(m, "unknown_source") - Drops(before, "unknown_source") >= PerKind,
                TimeSpan.FromSeconds(5),
                "malformed and unknown_source drops to rise",
                TimeSpan.FromMilliseconds(200));
        }
        catch (TimeoutException)
        {
            after = await server.Api.GetMetricsAsync();
        }

        output.WriteLine("metrics after:\n" + after.Text);
        var malformed = Drops(after, "malformed") - Drops(before, "malformed");
        var unknownSource = Drops(after, "unknown_source") - Drops(before, "unknown_source");
        Assert.True(
            malformed >= 2 * PerKind,
            $"{PerKind} truncated + {PerKind} garbage datagrams from the latched address raised drops{{reason=malformed}} by {malformed}");
        Assert.True(
            unknownSource >= PerKind,
            $"{PerKind} RTP packets from an address that never joined raised drops{{reason=unknown_source}} by {unknownSource}");

        // The legitimate stream is still flowing after the attack.
        var videoNow = visitor.VideoIn.RtpCount;
        var audioNow = visitor.AudioIn.RtpCount;
        await visitor.VideoIn.WaitForRtpAsync(videoNow + 30, TimeSpan.FromSeconds(5), "kiosk video after the bad packets");
        await visitor.AudioIn.WaitForRtpAsync(audioNow + 50, TimeSpan.FromSeconds(5), "kiosk audio after the bad packets");
        output.WriteLine(kiosk.ToString());
        output.WriteLine(visitor.ToString());

        var atVisitor = visitor.VideoIn.Packets;
        Assert.DoesNotContain(atVisitor, p => p.Payload.Length > 0 && p.Payload[^1] == RogueFill);
        Assert.All(atVisitor, p => Assert.Equal(kiosk.Fill, p.Payload[^1]));
        Assert.Equal(0, visitor.VideoIn.UnparsableCount);
        var visitNow = await visit.GetAsync();
        Assert.Equal("live", visitNow.State);
    }

    private static double Drops(MetricsSnapshot metrics, string reason) =>
        metrics.Counter("mediaserver_drops_total", ("reason", reason));
}
