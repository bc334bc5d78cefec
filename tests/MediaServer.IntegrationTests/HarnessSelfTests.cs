using System.Net;
using MediaServer.IntegrationTests.Harness.Ffmpeg;
using MediaServer.Testing;
using MediaServer.Testing.Ffmpeg;
using MediaServer.Testing.Rtp;
using MediaServer.Testing.Sdp;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests;

/// <summary>
/// The harness checked without a server: if these fail, a failing end-to-end test says nothing about the relay.
/// The FFmpeg sender is pointed straight at another peer's receivers, as a relay that were a plain wire would.
/// </summary>
[Collection(FfmpegMediaCollection.Name)]
public sealed class HarnessSelfTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("mediaserver-it-harness-").FullName;

    [Theory]
    [InlineData(VideoCodec.Vp8)]
    [InlineData(VideoCodec.H264)]
    public async Task Ffmpeg_receivers_record_what_an_ffmpeg_sender_sends_to_their_offered_ports(VideoCodec codec)
    {
        await using var sender = new FfmpegPeer("a", PartyMedia.Kiosk, codec, partyNumber: 1, otherParties: 1, _work, output);
        await using var receiver = new FfmpegPeer("b", PartyMedia.Visitor1, codec, partyNumber: 2, otherParties: 1, _work, output);
        await receiver.StartReceiversAsync();

        // b's offer names where b listens: as an "answer" to a it makes a send straight to b.
        sender.StartSending(receiver.OfferSdp, TimeSpan.FromSeconds(3));
        await sender.WaitUntilSentAsync(TimeSpan.FromSeconds(30));
        var got = await receiver.FinishReceivingAsync(TimeSpan.FromSeconds(20));

        var video = got.Slots[0];
        Assert.True(video.GotMedia, video.Diagnostics);
        Assert.Equal(codec == VideoCodec.Vp8 ? "vp8" : "h264", video.Stream!.CodecName);
        Assert.Equal((PartyMedia.Kiosk.Width, PartyMedia.Kiosk.Height), (video.Stream.Width, video.Stream.Height));
        Assert.InRange(video.Stream.ReadFrames ?? 0, (long)(0.9 * sender.VideoFramesSent), sender.VideoFramesSent);
        var audio = got.Slots[1];
        Assert.True(audio.GotMedia, audio.Diagnostics);
        Assert.Equal("opus", audio.Stream!.CodecName);
        Assert.InRange(audio.Tone!.FrequencyHz, PartyMedia.Kiosk.ToneHz * 0.95, PartyMedia.Kiosk.ToneHz * 1.05);
    }

    [Fact]
    public async Task Rtp_receiver_counts_paced_rtp_and_keeps_headers_and_payloads()
    {
        var port = PortAllocator.FreeClientRtpPair();
        await using var receiver = new RtpReceiver(port);
        await using var sender = new RtpSender(new IPEndPoint(IPAddress.Loopback, port), ssrc: 0xABCD, payloadType: 96, PortAllocator.FreeClientRtpPair(), seed: 1);

        sender.StartPacing(100, n => RtpSender.Vp8Payload(n, fill: 0x42), 900);
        await receiver.WaitForRtpAsync(50, TimeSpan.FromSeconds(5), "paced sender");
        await sender.StopPacingAsync();
        sender.SendRaw(new byte[5]);

        await Poll.UntilAsync(() => receiver.UnparsableCount == 1, TimeSpan.FromSeconds(5), "the 5-byte datagram");
        var packets = receiver.Packets;
        Assert.All(packets, p => Assert.Equal((byte)96, p.Header.PayloadType));
        Assert.All(packets, p => Assert.Equal(0xABCDu, p.Header.Ssrc));
        Assert.All(packets, p => Assert.Equal(0x42, p.Payload[^1]));
        Assert.All(packets.Zip(packets.Skip(1)), pair => Assert.Equal((ushort)(pair.First.Header.SequenceNumber + 1), pair.Second.Header.SequenceNumber));
        Assert.Equal(sender.LocalEndPoint, packets[0].From);
    }

    [Fact]
    public void Offer_builder_output_reads_back_with_ports_codecs_and_directions()
    {
        var offer = new PlainRtpOffer()
            .AddVideo(10000, MediaDirection.SendRecv, VideoCodec.Vp8, VideoCodec.H264)
            .AddAudio(10002)
            .AddVideo(10004, MediaDirection.RecvOnly, VideoCodec.H264)
            .AddAudio(10006, MediaDirection.RecvOnly);

        var sdp = SdpDescription.Parse(offer.Build());

        Assert.Equal("127.0.0.1", sdp.SessionAddress);
        Assert.Equal(["video", "audio", "video", "audio"], sdp.Media.Select(m => m.Kind));
        Assert.Equal([10000, 10002, 10004, 10006], sdp.Media.Select(m => m.Port));
        Assert.Equal(["sendrecv", "sendrecv", "recvonly", "recvonly"], sdp.Media.Select(m => m.Direction));
        Assert.Equal(96, sdp.Media[0].PayloadTypeOf("vp8"));
        Assert.Equal(97, sdp.Media[0].PayloadTypeOf("H264"));
        Assert.Equal("packetization-mode=1", sdp.Media[0].Fmtps[97]);
        Assert.Equal(96, sdp.Media[2].PayloadTypeOf("H264"));
        Assert.Equal(new RtpMap(111, "opus", 48000, 2), sdp.Media[1].RtpMaps[111]);
        Assert.All(sdp.Media, m => Assert.Equal("RTP/AVP", m.Protocol));
    }

    [Fact]
    public void Metrics_parser_reads_labelled_and_plain_series()
    {
        var metrics = MetricsSnapshot.Parse(
            "# HELP mediaserver_drops_total Dropped packets\n" +
            "# TYPE mediaserver_drops_total counter\n" +
            "mediaserver_drops_total{reason=\"malformed\"} 12\n" +
            "mediaserver_drops_total{reason=\"unknown_source\"} 3 1700000000000\n" +
            "mediaserver_legs 2\n" +
            "mediaserver_visits{state=\"live\",x=\"a\\\"b\"} 1\n");

        Assert.Equal(12, metrics.Counter("mediaserver_drops_total", ("reason", "malformed")));
        Assert.Equal(3, metrics.Counter("mediaserver_drops_total", ("reason", "unknown_source")));
        Assert.Equal(0, metrics.Counter("mediaserver_drops_total", ("reason", "closed")));
        Assert.Equal(2, metrics.Value("mediaserver_legs"));
        Assert.Equal(1, metrics.Value("mediaserver_visits", ("x", "a\"b"), ("state", "live")));
        Assert.Equal(15, metrics.Sum("mediaserver_drops_total"));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
