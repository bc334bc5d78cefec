using MediaServer.Codecs.Rtcp;
using MediaServer.Testing;
using MediaServer.Testing.Rtp;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests;

/// <summary>The server's own RTCP to plain-RTP clients: sender reports for what it relays, receiver reports for what it gets, BYE on leave.</summary>
[Collection(FfmpegMediaCollection.Name)]
public sealed class ServerRtcpTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Plain_rtp_clients_get_sender_and_receiver_reports_and_a_bye_on_their_rtcp_ports()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1);
        await using var kiosk = new RtpParty("kiosk", 1);
        await using var visitor = new RtpParty("visitor1", 2);
        // RFC 3550 §11: each client takes RTCP on the port after the RTP port its offer names (the harness's receivers listen there).
        var kioskRtcp = kiosk.VideoIn;
        var visitorRtcp = visitor.VideoIn;

        var kioskLeg = await server.Api.JoinAsync(visit.KioskToken, visit.Id, kiosk.OfferSdp);
        var visitorLeg = await server.Api.JoinAsync(visit.VisitorToken(1), visit.Id, visitor.OfferSdp);
        kiosk.StartSending(kioskLeg.AnswerSdp);
        visitor.StartSending(visitorLeg.AnswerSdp);
        await kiosk.VideoIn.WaitForRtpAsync(30, TimeSpan.FromSeconds(10), "visitor1 video at kiosk");
        var relayedSsrc = kiosk.VideoIn.LastPacket!.Header.Ssrc;

        // The kiosk receives visitor video from the server: the server reports on that stream with the SSRC it uses.
        var senderReport = await ReceiveUntilAsync(kioskRtcp, packet =>
            packet.PacketType == RtcpPacketType.SenderReport && RtcpSenderReport.TryParse(packet.Span, out var sr) && sr.Ssrc == relayedSsrc);
        Assert.True(senderReport, "no sender report for the relayed video reached the kiosk's RTCP port");

        // The visitor sends video to the server: the server reports its reception of the visitor's own SSRC.
        var receiverReport = await ReceiveUntilAsync(visitorRtcp, packet =>
            packet.PacketType == RtcpPacketType.ReceiverReport && RtcpReceiverReport.TryParse(packet.Span, out var rr)
            && rr.ReportCount > 0 && rr.GetReportBlock(0).Ssrc == visitor.VideoSsrc);
        Assert.True(receiverReport, "no receiver report about the visitor's video reached the visitor's RTCP port");

        await server.Api.LeaveAsync(visit.KioskToken, kioskLeg.Location);
        var bye = await ReceiveUntilAsync(kioskRtcp, packet =>
            packet.PacketType == RtcpPacketType.Goodbye && RtcpBye.TryParse(packet.Span, out var goodbye) && goodbye.SourceCount > 0
            && goodbye.GetSsrc(0) == relayedSsrc);
        Assert.True(bye, "no BYE for the relayed video after the kiosk left");
    }

    private delegate bool PacketTest(RtcpPacket packet);

    /// <summary>Waits until an RTCP datagram the receiver got holds a packet that passes <paramref name="test"/>, or 10 s pass.</summary>
    private static async Task<bool> ReceiveUntilAsync(RtpReceiver receiver, PacketTest test)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var datagram in receiver.RtcpDatagrams)
            {
                if (Matches(datagram, test))
                {
                    return true;
                }
            }
            await Task.Delay(50);
        }
        return false;
    }

    private static bool Matches(ReadOnlySpan<byte> datagram, PacketTest test)
    {
        var reader = new RtcpCompoundReader(datagram);
        while (reader.MoveNext())
        {
            if (test(reader.Current))
            {
                return true;
            }
        }
        return false;
    }
}
