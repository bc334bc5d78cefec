using System.Net;
using MediaServer.Codecs.Sdp;

namespace MediaServer.Codecs.Tests.Sdp;

/// <summary>Real and realistic descriptions: the RFC examples, FFmpeg output, Chromium- and aiortc-shaped offers.</summary>
public sealed class SdpSampleTests
{
    [Fact]
    public void Parses_the_RFC_8866_example_with_every_session_field()
    {
        var sdp = SdpAssert.Parses(SdpTestData.Rfc8866Example);

        Assert.Equal(new SdpOrigin("jdoe", "3724394400", "3724394405", "IN", "IP4", "198.51.100.1"), sdp.Origin);
        Assert.Equal("Call to John Smith", sdp.SessionName);
        Assert.Equal("SDP Offer #1", sdp.Information);
        Assert.Equal("http://www.jdoe.example.com/home.html", sdp.Uri);
        Assert.Equal(["Jane Doe <jane@jdoe.example.com>"], sdp.Emails);
        Assert.Equal(["+1 617 555-6011"], sdp.Phones);
        Assert.Equal(new SdpConnection("IN", "IP4", "198.51.100.1"), sdp.Connection);
        Assert.Equal(0UL, sdp.Timing!.StartTime);
        Assert.Equal(3, sdp.Media.Count);
        Assert.Equal(["0"], sdp.Media[0].Formats);
        Assert.Equal(49180, sdp.Media[1].Port);

        var video = sdp.Media[2];
        Assert.Equal("video", video.Media);
        Assert.Equal(new SdpConnection("IN", "IP6", "2001:db8::2"), sdp.EffectiveConnection(video));
        Assert.Equal(new SdpConnection("IN", "IP4", "198.51.100.1"), sdp.EffectiveConnection(sdp.Media[0]));
        Assert.Equal([new SdpRtpMap(99, "h263-1998", 90000)], video.RtpMaps);
        Assert.Equal(SdpDirection.SendRecv, video.Direction);
        Assert.False(sdp.IsWebRtc);
        Assert.True(video.IsRtp);
    }

    [Fact]
    public void Parses_the_RFC_3264_offer_and_answer_with_empty_session_names_and_FQDN_addresses()
    {
        var offer = SdpAssert.Parses(SdpTestData.Rfc3264Offer);
        var answer = SdpAssert.Parses(SdpTestData.Rfc3264Answer);

        Assert.Equal("", offer.SessionName);
        Assert.Equal("host.atlanta.example.com", offer.Connection!.Address);
        Assert.False(offer.Connection.TryGetIPAddress(out _));
        Assert.Equal([0, 8, 97], offer.Media[0].PayloadTypes);
        Assert.Equal("iLBC", offer.Media[0].GetRtpMap(97)!.EncodingName);
        Assert.Equal([31, 32], offer.Media[1].PayloadTypes);

        // The answer names a subset of what was offered (RFC 3264 §6.1), per m-line, in order.
        for (var i = 0; i < offer.Media.Count; i++)
        {
            Assert.Equal(offer.Media[i].Media, answer.Media[i].Media);
            Assert.Subset(offer.Media[i].PayloadTypes.ToHashSet(), answer.Media[i].PayloadTypes.ToHashSet());
        }
    }

    [Fact]
    public void Parses_a_follow_up_offer_with_a_disabled_stream_and_a_direction()
    {
        var sdp = SdpAssert.Parses(SdpTestData.Rfc3264SecondOffer);

        Assert.Equal("2808844565", sdp.Origin.SessionVersion);
        Assert.Equal(SdpDirection.SendOnly, sdp.Media[0].Direction);
        Assert.Equal(SdpDirection.RecvOnly, sdp.Media[0].Direction.Reverse());
        Assert.Equal(0, sdp.Media[1].Port);
        Assert.Equal(SdpDirection.SendRecv, sdp.Media[1].Direction);
    }

    [Fact]
    public void Parses_FFmpeg_VP8_and_Opus_as_two_plain_RTP_streams_on_their_own_ports()
    {
        var sdp = SdpAssert.Parses(SdpTestData.Load("ffmpeg-vp8-opus.sdp"));

        Assert.False(sdp.IsWebRtc);
        Assert.Equal([new SdpAttribute("tool", "libavformat LIBAVFORMAT_VERSION")], sdp.Attributes);
        var (video, audio) = (sdp.Media[0], sdp.Media[1]);
        Assert.Equal(("video", 40000, "RTP/AVP"), (video.Media, video.Port, video.Protocol));
        Assert.Equal([new SdpRtpMap(96, "VP8", 90000)], video.RtpMaps);
        Assert.Equal([new SdpBandwidth("AS", 256)], video.Bandwidths);
        Assert.True(sdp.EffectiveConnection(video)!.TryGetIPAddress(out var address));
        Assert.Equal(IPAddress.Loopback, address);
        Assert.Equal(40002, audio.Port);
        Assert.Equal(new SdpRtpMap(111, "opus", 48000, 2), audio.GetRtpMap(111));
        Assert.True(audio.GetRtpMap(111)!.Is("OPUS"));
        Assert.Null(audio.GetFmtp(111));
        Assert.False(audio.RtcpMux);
        Assert.Null(audio.Rtcp);
        Assert.Null(audio.Mid);
    }

    [Fact]
    public void Parses_FFmpeg_H264_fmtp_into_parameters()
    {
        var plain = SdpAssert.Parses(SdpTestData.Load("ffmpeg-h264-opus.sdp"));
        Assert.Equal("1", plain.Media[0].GetFmtp(102)!.Parameters["packetization-mode"]);

        var withHeaders = SdpAssert.Parses(SdpTestData.Load("ffmpeg-h264-global-header-opus.sdp"));
        var fmtp = withHeaders.Media[0].GetFmtp(102)!;
        Assert.Equal(3, fmtp.Parameters.Count);
        Assert.True(fmtp.TryGetInt64("Packetization-Mode", out var mode));
        Assert.Equal(1, mode);
        Assert.Equal("64000D", fmtp.Parameters["profile-level-id"]);
        Assert.Equal("Z2QADazZQUH7ARAAAAMAEAAAAwMg8UKZYA==,aOvjyyLA", fmtp.Parameters["sprop-parameter-sets"]);
        Assert.StartsWith("packetization-mode=1; sprop", fmtp.RawParameters, StringComparison.Ordinal);
    }

    [Fact]
    public void Parses_a_Chromium_offer_into_everything_a_WebRTC_answer_needs()
    {
        var sdp = SdpAssert.Parses(SdpTestData.Load("chromium-offer-audio-video.sdp"));

        Assert.True(sdp.IsWebRtc);
        Assert.Equal([new SdpGroup("BUNDLE", ["0", "1"])], sdp.BundleGroups, GroupComparer.Instance);
        Assert.Equal(new SdpAttribute("msid-semantic", " WMS 6f1c2b7e-3d4a-4f8e-9b1c-2a3d4e5f6a7b"), sdp.Attributes[2]);

        var audio = sdp.Media[0];
        Assert.Equal("0", audio.Mid);
        Assert.Same(audio, sdp.FindByMid("0"));
        Assert.Equal("UDP/TLS/RTP/SAVPF", audio.Protocol);
        Assert.Equal(("Xk3q", "Fo2+Ld8uGq3mVx1zRkW9bTpE"), (audio.IceUfrag, audio.IcePwd));
        Assert.Equal("sha-256", audio.Fingerprint!.HashFunction);
        Assert.Equal(32, audio.Fingerprint.Value.Length);
        Assert.Equal(SdpSetup.ActPass, audio.Setup);
        Assert.True(audio.RtcpMux);
        Assert.True(audio.RtcpReducedSize);
        Assert.Equal(new SdpRtcp(9, "IN", "IP4", "0.0.0.0"), audio.Rtcp);
        Assert.Equal(SdpDirection.SendRecv, audio.Direction);
        Assert.Equal(new SdpRtpMap(111, "opus", 48000, 2), audio.GetRtpMap(111));
        var opus = audio.GetFmtp(111)!;
        Assert.Equal("10", opus.Parameters["minptime"]);
        Assert.Equal("1", opus.Parameters["useinbandfec"]);
        Assert.Equal("", audio.GetFmtp(63)!.Parameters["111/111"]);
        Assert.Equal([new SdpRtcpFeedback(111, "transport-cc")], audio.GetRtcpFeedback(111));
        Assert.Equal(new SdpExtmap(1, "urn:ietf:params:rtp-hdrext:ssrc-audio-level"), audio.Extmaps[0]);
        Assert.Equal(new SdpMsid("6f1c2b7e-3d4a-4f8e-9b1c-2a3d4e5f6a7b", "a3b2c1d0-e4f5-4a6b-8c7d-9e0f1a2b3c4d"), audio.Msid);
        Assert.Equal(new SdpSsrc(3170954163, "cname", "4TOk42mSjXCkVIa6"), audio.Ssrcs[0]);

        var candidates = audio.Candidates;
        Assert.Equal(4, candidates.Count);
        Assert.Equal(("udp", 2122260223u, "192.168.1.5", 51012, "host"),
            (candidates[0].Transport, candidates[0].Priority, candidates[0].Address, candidates[0].Port, candidates[0].Type));
        Assert.EndsWith(".local", candidates[1].Address, StringComparison.Ordinal);
        Assert.Equal(("tcp", 9), (candidates[2].Transport, candidates[2].Port));
        Assert.Equal(("srflx", "192.168.1.5", (int?)51012), (candidates[3].Type, candidates[3].RelatedAddress, candidates[3].RelatedPort));
        Assert.Contains("network-cost 10", candidates[3].Raw, StringComparison.Ordinal);

        var video = sdp.Media[1];
        Assert.Equal(25, video.PayloadTypes.Count);
        var h264 = video.RtpMaps.Where(m => m.Is("H264")).ToList();
        Assert.Equal(7, h264.Count);
        var baselineMode1 = h264.Single(m =>
            video.GetFmtp(m.PayloadType)!.Parameters["profile-level-id"] == "42e01f"
            && video.GetFmtp(m.PayloadType)!.Parameters["packetization-mode"] == "1");
        Assert.Equal(106, baselineMode1.PayloadType);
        // RFC 4588 §8.6: the rtx payload type points at its media payload type through apt=.
        var rtxFor106 = video.Fmtps.Single(f => f.Parameters.TryGetValue("apt", out var apt) && apt == "106");
        Assert.Equal("rtx", video.GetRtpMap(rtxFor106.PayloadType)!.EncodingName);
        Assert.Equal(
            ["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"],
            video.GetRtcpFeedback(96).Select(f => f.Subtype is null ? f.Type : f.Type + " " + f.Subtype));
        Assert.Equal(11, video.Extmaps.Count);
        Assert.Contains(video.Extmaps, e => e.Id == 4 && e.Uri == "urn:ietf:params:rtp-hdrext:sdes:mid");
        var fid = Assert.Single(video.SsrcGroups);
        Assert.Equal("FID", fid.Semantics);
        Assert.Equal([2231627014u, 632943048u], fid.Ssrcs);
        Assert.Equal(4, video.Ssrcs.Count);
        Assert.Empty(video.Candidates);
        Assert.Equal(audio.Fingerprint, video.Fingerprint);
    }

    [Fact]
    public void Parses_an_aiortc_offer_with_several_fingerprints_and_end_of_candidates()
    {
        var sdp = SdpAssert.Parses(SdpTestData.Load("aiortc-offer-audio-video.sdp"));

        Assert.True(sdp.IsWebRtc);
        var audio = sdp.Media[0];
        Assert.Equal(["sha-256", "sha-384", "sha-512"], audio.Fingerprints.Select(f => f.HashFunction));
        Assert.Equal([32, 48, 64], audio.Fingerprints.Select(f => f.Value.Length));
        Assert.True(audio.EndOfCandidates);
        Assert.Equal(2, audio.Candidates.Count);
        Assert.Equal("Ab3d", audio.IceUfrag);
        Assert.Equal(22, audio.IcePwd!.Length);
        Assert.Equal(SdpSetup.ActPass, audio.Setup);
        Assert.Equal(new SdpConnection("IN", "IP4", "192.168.1.20"), sdp.EffectiveConnection(audio));

        var video = sdp.Media[1];
        Assert.Equal([1360493817u, 4018822510u], video.SsrcGroups.Single().Ssrcs);
        Assert.Equal("97", video.GetFmtp(98)!.Parameters["apt"]);
        Assert.Equal(3, video.GetRtcpFeedback(99).Count);
    }

    [Fact]
    public void Every_sample_writes_back_to_a_description_equal_to_the_one_parsed()
    {
        foreach (var text in SdpTestData.AllSamples())
        {
            var parsed = SdpAssert.Parses(text);
            var written = parsed.ToString();
            var reparsed = SdpAssert.Parses(written);
            SdpAssert.Equal(parsed, reparsed);
            Assert.Equal(written, reparsed.ToString());
        }
    }

    [Fact]
    public void Samples_that_are_already_in_RFC_order_with_CRLF_are_written_back_byte_for_byte()
    {
        foreach (var name in SdpTestData.SampleFiles)
        {
            var text = SdpTestData.Load(name);
            Assert.Equal(text, SdpAssert.Parses(text).ToString());
        }
    }

    private sealed class GroupComparer : IEqualityComparer<SdpGroup>
    {
        public static readonly GroupComparer Instance = new();

        public bool Equals(SdpGroup? x, SdpGroup? y) =>
            x is not null && y is not null && x.Semantics == y.Semantics && x.Mids.SequenceEqual(y.Mids);

        public int GetHashCode(SdpGroup obj) => obj.Semantics.GetHashCode(StringComparison.Ordinal);
    }
}
