using System.Net;
using MediaServer.Codecs.Sdp;
using MediaServer.Media;
using MediaServer.Routing;
using MediaServer.Visits;

namespace MediaServer.Tests.Visits;

public sealed class SdpOffersTests
{
    // What FFmpeg 5.1 writes with -sdp_file for VP8 + Opus (its receiver reads the same shape).
    private const string FfmpegOffer =
        "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=No Name\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\na=tool:libavformat 59.27.100\r\n" +
        "m=video 40000 RTP/AVP 96\r\nb=AS:800\r\na=rtpmap:96 VP8/90000\r\n" +
        "m=audio 40002 RTP/AVP 111\r\nb=AS:64\r\na=rtpmap:111 opus/48000/2\r\n";

    [Fact]
    public void An_ffmpeg_offer_reads_as_two_sendrecv_slots_with_their_codecs()
    {
        Assert.True(SdpOffers.TryRead(FfmpegOffer, out var offer, out var error), error);
        Assert.False(offer.IsWebRtc);
        Assert.Collection(offer.Media,
            video =>
            {
                Assert.Equal(MediaKind.Video, video.Kind);
                Assert.Equal(40000, video.Port);
                Assert.Equal(IPAddress.Loopback, video.Address);
                Assert.Equal(SdpDirection.SendRecv, video.Direction);
                var format = Assert.Single(video.Supported);
                Assert.Equal((96, MediaCodec.Vp8), (format.PayloadType, format.Codec));
            },
            audio =>
            {
                Assert.Equal(MediaKind.Audio, audio.Kind);
                Assert.Equal((111, MediaCodec.Opus), (audio.Supported[0].PayloadType, audio.Supported[0].Codec));
            });
    }

    [Fact]
    public void H264_counts_only_with_packetization_mode_1()
    {
        var offer = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
            "m=video 40000 RTP/AVP 97 98\r\na=rtpmap:97 H264/90000\r\na=fmtp:97 packetization-mode=1;profile-level-id=42e01f\r\n" +
            "a=rtpmap:98 H264/90000\r\n";
        Assert.True(SdpOffers.TryRead(offer, out var parsed, out var error), error);
        var format = Assert.Single(parsed.Media[0].Supported);
        Assert.Equal((97, MediaCodec.H264), (format.PayloadType, format.Codec));
    }

    [Fact]
    public void Codecs_the_relay_does_not_forward_are_left_out()
    {
        var offer = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
            "m=audio 40002 RTP/AVP 0 8 9\r\na=rtpmap:9 G722/8000\r\n";
        Assert.True(SdpOffers.TryRead(offer, out var parsed, out _));
        Assert.Empty(parsed.Media[0].Supported);
    }

    [Theory]
    [InlineData("not sdp at all")]
    [InlineData("v=0\r\ns=-\r\n")]
    [InlineData("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 40000 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n")]
    [InlineData("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 not-an-ip\r\nt=0 0\r\nm=video 40000 RTP/AVP 96\r\n")]
    public void Malformed_offers_are_refused_with_a_reason(string text)
    {
        Assert.False(SdpOffers.TryRead(text, out _, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void An_offer_with_500_m_lines_is_refused()
    {
        var text = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            + string.Concat(Enumerable.Range(0, 500).Select(i => $"m=audio {40000 + (2 * i)} RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n"));
        Assert.False(SdpOffers.TryRead(text, out _, out var error));
        Assert.Contains("too many media descriptions", error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_answer_mirrors_the_offer_and_rejects_with_port_zero()
    {
        Assert.True(SdpOffers.TryRead(FfmpegOffer, out var offer, out _));
        var answer = SdpOffers.WriteAnswer(
            [
                new AnsweredMedia(offer.Media[0], 42000, offer.Media[0].Supported, SdpDirection.SendRecv),
                new AnsweredMedia(offer.Media[1], 0, [], SdpDirection.Inactive),
            ],
            IPAddress.Loopback);
        Assert.True(SessionDescription.TryParse(answer, out var parsed, out var error), error);
        Assert.Equal("127.0.0.1", parsed.Connection!.Address);
        Assert.Equal(42000, parsed.Media[0].Port);
        Assert.Equal("VP8", parsed.Media[0].GetRtpMap(96)!.EncodingName);
        Assert.Equal(42001, parsed.Media[0].Rtcp!.Port);
        Assert.Equal(0, parsed.Media[1].Port);
        Assert.Equal("audio", parsed.Media[1].Media);
        Assert.Single(parsed.Timings);
    }
}
