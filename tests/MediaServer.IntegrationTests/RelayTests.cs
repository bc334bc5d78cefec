using MediaServer.IntegrationTests.Harness;
using MediaServer.IntegrationTests.Harness.Ffmpeg;
using MediaServer.Testing;
using MediaServer.Testing.Ffmpeg;
using MediaServer.Testing.Sdp;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests;

/// <summary>
/// Issue 2's walking skeleton end to end: a scheduled visit relays plain RTP between FFmpeg kiosks and family
/// devices through the real server process. Each party must get every other party's picture and tone, never its own.
/// </summary>
[Collection(FfmpegMediaCollection.Name)]
public sealed class RelayTests(ITestOutputHelper output)
{
    private static readonly TimeSpan SendFor = TimeSpan.FromSeconds(5);
    // Generous: -re senders run slower than real time when the machine is loaded, and only the frame counts matter.
    private static readonly TimeSpan SenderDeadline = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ReceiverDeadline = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData(VideoCodec.Vp8)]
    [InlineData(VideoCodec.H264)]
    public async Task Kiosk_and_visitor_each_receive_the_others_picture_and_tone(VideoCodec codec)
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1);
        await using var kiosk = new FfmpegPeer("kiosk", PartyMedia.Kiosk, codec, partyNumber: 1, otherParties: 1, server.WorkDirectory, output);
        await using var visitor = new FfmpegPeer("visitor1", PartyMedia.Visitor1, codec, partyNumber: 2, otherParties: 1, server.WorkDirectory, output);

        var kioskLeg = await server.Api.JoinAsync(visit.KioskToken, visit.Id, kiosk.OfferSdp);
        var visitorLeg = await server.Api.JoinAsync(visit.VisitorToken(1), visit.Id, visitor.OfferSdp);
        MediaAssert.AnswerFits(kioskLeg.AnswerSdp, kiosk.Offer, server);
        MediaAssert.AnswerFits(visitorLeg.AnswerSdp, visitor.Offer, server);

        // Listen first, so the first key frame is not lost to a receiver that was not there yet.
        await kiosk.StartReceiversAsync();
        await visitor.StartReceiversAsync();
        kiosk.StartSending(kioskLeg.AnswerSdp, SendFor);
        visitor.StartSending(visitorLeg.AnswerSdp, SendFor);
        await Task.WhenAll(kiosk.WaitUntilSentAsync(SenderDeadline), visitor.WaitUntilSentAsync(SenderDeadline));

        var during = await visit.GetAsync();
        output.WriteLine($"after sending: {during}");
        Assert.Equal("live", during.State);
        Assert.All(during.Participants, p => Assert.True(p.Connection?.PacketsIn > 0, $"{p.Id}: no packets in: {during}"));
        Assert.All(during.Participants, p => Assert.True(p.Connection?.PacketsOut > 0, $"{p.Id}: no packets out: {during}"));
        var metrics = await server.Api.GetMetricsAsync();
        Assert.True(metrics.Value("mediaserver_legs") == 2, $"expected 2 open legs:\n{metrics.Text}");
        Assert.True(metrics.Value("mediaserver_visits", ("state", "live")) == 1, $"expected 1 live visit:\n{metrics.Text}");
        Assert.True(metrics.Counter("mediaserver_packets_out_total") > 0, $"nothing relayed:\n{metrics.Text}");
        // Two well-behaved FFmpeg peers: nothing they send is malformed, from an unknown source or in a codec nobody takes.
        Assert.True(metrics.Sum("mediaserver_drops_total") == 0, $"a clean relay dropped packets:\n{metrics.Text}");
        // On Linux the batched I/O threads carried it (recvmmsg/sendmmsg), and the kernel refused none of it.
        Assert.True(metrics.Value("mediaserver_io_threads") >= 1, $"no batched I/O threads:\n{metrics.Text}");
        Assert.True(metrics.Counter("mediaserver_io_sent_total") > 0 && metrics.Counter("mediaserver_io_received_total") > 0, $"the I/O threads moved nothing:\n{metrics.Text}");
        Assert.True(metrics.Counter("mediaserver_io_send_refused_total") == 0, $"sends were refused:\n{metrics.Text}");
        Assert.Contains("\nmediaserver_udp_receive_drops_total ", metrics.Text, StringComparison.Ordinal);

        // Hang up, then end each receiver once it has read what the server relayed.
        await server.Api.LeaveAsync(visit.KioskToken, kioskLeg.Location);
        await server.Api.LeaveAsync(visit.VisitorToken(1), visitorLeg.Location);
        var kioskGot = await kiosk.FinishReceivingAsync(ReceiverDeadline);
        var visitorGot = await visitor.FinishReceivingAsync(ReceiverDeadline);

        Checks.All(
            ("kiosk gets visitor1", () => MediaAssert.PairCarries(kioskGot, videoSlot: 0, from: visitor, receiver: kiosk)),
            ("visitor1 gets kiosk", () => MediaAssert.PairCarries(visitorGot, videoSlot: 0, from: kiosk, receiver: visitor)));
        // Both left before the visit's start (it starts in a minute): that was the waiting room, and the visit is scheduled again.
        await visit.WaitForStateAsync("scheduled", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Kiosk_and_two_visitors_each_receive_both_others_and_never_themselves()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 2);
        await using var kiosk = new FfmpegPeer("kiosk", PartyMedia.Kiosk, VideoCodec.Vp8, partyNumber: 1, otherParties: 2, server.WorkDirectory, output);
        await using var visitor1 = new FfmpegPeer("visitor1", PartyMedia.Visitor1, VideoCodec.Vp8, partyNumber: 2, otherParties: 2, server.WorkDirectory, output);
        await using var visitor2 = new FfmpegPeer("visitor2", PartyMedia.Visitor2, VideoCodec.Vp8, partyNumber: 3, otherParties: 2, server.WorkDirectory, output);

        // Join order kiosk, visitor1, visitor2 fixes the slot order (docs/api.md: kiosk first, then visitors in join order).
        var kioskLeg = await server.Api.JoinAsync(visit.KioskToken, visit.Id, kiosk.OfferSdp);
        var visitor1Leg = await server.Api.JoinAsync(visit.VisitorToken(1), visit.Id, visitor1.OfferSdp);
        var visitor2Leg = await server.Api.JoinAsync(visit.VisitorToken(2), visit.Id, visitor2.OfferSdp);
        MediaAssert.AnswerFits(kioskLeg.AnswerSdp, kiosk.Offer, server);
        MediaAssert.AnswerFits(visitor1Leg.AnswerSdp, visitor1.Offer, server);
        MediaAssert.AnswerFits(visitor2Leg.AnswerSdp, visitor2.Offer, server);

        await kiosk.StartReceiversAsync();
        await visitor1.StartReceiversAsync();
        await visitor2.StartReceiversAsync();
        kiosk.StartSending(kioskLeg.AnswerSdp, SendFor);
        visitor1.StartSending(visitor1Leg.AnswerSdp, SendFor);
        visitor2.StartSending(visitor2Leg.AnswerSdp, SendFor);
        await Task.WhenAll(kiosk.WaitUntilSentAsync(SenderDeadline), visitor1.WaitUntilSentAsync(SenderDeadline), visitor2.WaitUntilSentAsync(SenderDeadline));

        var during = await visit.GetAsync();
        output.WriteLine($"after sending: {during}");
        Assert.Equal("live", during.State);
        Assert.All(during.Participants, p => Assert.True(p.Connection?.PacketsIn > 0, $"{p.Id}: no packets in: {during}"));

        await server.Api.LeaveAsync(visit.KioskToken, kioskLeg.Location);
        await server.Api.LeaveAsync(visit.VisitorToken(1), visitor1Leg.Location);
        await server.Api.LeaveAsync(visit.VisitorToken(2), visitor2Leg.Location);
        var kioskGot = await kiosk.FinishReceivingAsync(ReceiverDeadline);
        var visitor1Got = await visitor1.FinishReceivingAsync(ReceiverDeadline);
        var visitor2Got = await visitor2.FinishReceivingAsync(ReceiverDeadline);

        // The sendrecv pair carries the first other party (the first visitor for the kiosk, the kiosk for a
        // visitor); the recvonly pair the remaining one.
        Checks.All(
            ("kiosk sendrecv gets visitor1", () => MediaAssert.PairCarries(kioskGot, videoSlot: 0, from: visitor1, receiver: kiosk)),
            ("kiosk recvonly gets visitor2", () => MediaAssert.PairCarries(kioskGot, videoSlot: 2, from: visitor2, receiver: kiosk)),
            ("visitor1 sendrecv gets kiosk", () => MediaAssert.PairCarries(visitor1Got, videoSlot: 0, from: kiosk, receiver: visitor1)),
            ("visitor1 recvonly gets visitor2", () => MediaAssert.PairCarries(visitor1Got, videoSlot: 2, from: visitor2, receiver: visitor1)),
            ("visitor2 sendrecv gets kiosk", () => MediaAssert.PairCarries(visitor2Got, videoSlot: 0, from: kiosk, receiver: visitor2)),
            ("visitor2 recvonly gets visitor1", () => MediaAssert.PairCarries(visitor2Got, videoSlot: 2, from: visitor1, receiver: visitor2)));
    }
}
