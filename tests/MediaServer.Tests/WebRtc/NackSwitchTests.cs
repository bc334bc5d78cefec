using System.Net;
using MediaServer.Codecs.Rtcp;
using MediaServer.Codecs.Sdp;
using MediaServer.Media;
using MediaServer.Metrics;
using MediaServer.Routing;
using MediaServer.Tests.Routing;
using MediaServer.Visits;

namespace MediaServer.Tests.WebRtc;

/// <summary>MediaServer:WebRtc:Nack = false: answers leave generic NACK out (nack pli stays), and receivers' NACKs go unanswered.</summary>
public sealed class NackSwitchTests
{
    private static string Answer(bool nack)
    {
        Assert.True(SdpOffers.TryRead(BrowserOffers.Vp8(), out var offer, out var error), error);
        var answers = offer.Media.Select(m => new AnsweredMedia(m, 41000, m.Supported, SdpDirection.SendRecv)).ToList();
        Assert.True(SdpFingerprint.TryParse(BrowserOffers.Fingerprint, out var fingerprint, out _));
        return SdpOffers.WriteWebRtcAnswer(answers, new SdpOffers.WebRtcAnswerInfo("ufrag", "passwordpasswordpassword", fingerprint!,
            IPAddress.Loopback, 41000, new Dictionary<int, (uint, string, string)>())
        { Nack = nack });
    }

    [Fact]
    public void By_default_the_answer_names_nack_and_nack_pli()
    {
        var answer = Answer(nack: true);
        Assert.Contains("a=rtcp-fb:96 nack\r\n", answer, StringComparison.Ordinal);
        Assert.Contains("a=rtcp-fb:96 nack pli\r\n", answer, StringComparison.Ordinal);
    }

    [Fact]
    public void With_nack_off_the_answer_keeps_nack_pli_and_leaves_plain_nack_out()
    {
        var answer = Answer(nack: false);
        Assert.DoesNotContain("a=rtcp-fb:96 nack\r\n", answer, StringComparison.Ordinal);
        Assert.Contains("a=rtcp-fb:96 nack pli\r\n", answer, StringComparison.Ordinal);
        Assert.Contains("a=rtcp-fb:96 ccm fir\r\n", answer, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 0)]
    public void A_receiver_s_nack_is_answered_only_when_nack_is_on(bool answersNacks, int retransmissions)
    {
        var metrics = new RelayMetrics();
        var sender = new RecordingSender();
        var map = new MediaCodec[128];
        map[96] = MediaCodec.Vp8;
        var counters = new PartyCounters(0);
        var track = new Track("kiosk", MediaKind.Video, map, counters, metrics);
        var slot = new ReceiverSlot("mum", MediaKind.Video, 0, [255, 100, 255, 255], 0xABCD, sender,
            new PartyCounters(0), metrics)
        { AnswersNacks = answersNacks };
        var router = new VisitRouter("v");
        router.Attach(new RouterParty("kiosk", true, track, null, [], [], counters));
        router.Attach(new RouterParty("mum", false, null, null, [slot], [], new PartyCounters(0)));
        for (ushort i = 0; i < 10; i++)
        {
            var packet = Packets.Rtp(96, (ushort)(100 + i), 3000u * i, 0x1111);
            track.OnRtp(packet, Packets.Info(packet));
        }

        var nack = new byte[64];
        var length = RtcpGenericNack.Write(nack, 0x5555, slot.Ssrc, [RecordingSender.Sequence(sender.Sent[4])]);
        slot.OnRtcp(nack.AsSpan(0, length));

        Assert.Equal(10 + retransmissions, sender.Sent.Count);
        Assert.Equal(retransmissions, slot.Retransmitted);
    }
}
