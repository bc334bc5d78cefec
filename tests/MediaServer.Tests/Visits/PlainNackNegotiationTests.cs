using System.Net;
using MediaServer.Codecs.Sdp;
using MediaServer.Visits;

namespace MediaServer.Tests.Visits;

/// <summary>Plain-RTP legs get generic NACK only when their offer asks for it (RFC 4585 §4.2), per payload type or with '*'.</summary>
public sealed class PlainNackNegotiationTests
{
    private static string Offer(string feedback) =>
        "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
        "m=video 40000 RTP/AVPF 96\r\na=rtpmap:96 VP8/90000\r\n" + feedback +
        "m=audio 40002 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n";

    private static (bool Nack, string Answer) Negotiate(string feedback)
    {
        Assert.True(SdpOffers.TryRead(Offer(feedback), out var offer, out var error), error);
        var answers = offer.Media.Select(m => new AnsweredMedia(m, 41000 + 2 * m.Index, m.Supported, SdpDirection.SendRecv)).ToList();
        return (PartyBuilder.OffersNack(answers[0].Formats), SdpOffers.WriteAnswer(answers, IPAddress.Loopback));
    }

    [Theory]
    [InlineData("a=rtcp-fb:96 nack\r\n")]
    [InlineData("a=rtcp-fb:* nack\r\n")]
    public void Nack_named_for_the_payload_type_or_all_is_answered(string feedback)
    {
        var (nack, answer) = Negotiate(feedback);
        Assert.True(nack);
        Assert.Contains("a=rtcp-fb:96 nack\r\n", answer, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a=rtcp-fb:96 nack pli\r\n")]
    [InlineData("a=rtcp-fb:97 nack\r\n")]
    public void Without_generic_nack_the_leg_gets_none(string feedback)
    {
        var (nack, answer) = Negotiate(feedback);
        Assert.False(nack);
        Assert.DoesNotContain("a=rtcp-fb:96 nack\r\n", answer, StringComparison.Ordinal);
    }
}
