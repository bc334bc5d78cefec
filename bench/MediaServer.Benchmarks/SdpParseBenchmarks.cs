using BenchmarkDotNet.Attributes;
using MediaServer.Codecs.Sdp;
using MediaServer.Visits;

namespace MediaServer.Benchmarks;

/// <summary>
/// SDP parsing (RFC 8866) of the two kinds of offer a join receives. This is the control path, once per join, so it may
/// allocate; the figures say what a burst of joins costs.
/// </summary>
[MemoryDiagnoser]
public class SdpParseBenchmarks
{
    /// <summary>Written by FFmpeg 5.1 itself (`-sdp_file`) for VP8 to rtp://127.0.0.1:40000 and Opus to :40002.</summary>
    private const string FfmpegOffer =
        "v=0\r\n" +
        "o=- 0 0 IN IP4 127.0.0.1\r\n" +
        "s=No Name\r\n" +
        "t=0 0\r\n" +
        "a=tool:libavformat LIBAVFORMAT_VERSION\r\n" +
        "m=video 40000 RTP/AVP 96\r\n" +
        "c=IN IP4 127.0.0.1\r\n" +
        "b=AS:800\r\n" +
        "a=rtpmap:96 VP8/90000\r\n" +
        "m=audio 40002 RTP/AVP 111\r\n" +
        "c=IN IP4 127.0.0.1\r\n" +
        "b=AS:64\r\n" +
        "a=rtpmap:111 opus/48000/2\r\n";

    /// <summary>
    /// Shaped like a current Chromium offer for one camera and one microphone (BUNDLE, rtcp-mux, ICE, DTLS fingerprint, header
    /// extensions, RTX/RED/ULPFEC and several video codecs, SSRC groups). Written here; not captured from a browser.
    /// </summary>
    private const string ChromiumOffer =
        "v=0\r\n" +
        "o=- 5493263271392384514 2 IN IP4 127.0.0.1\r\n" +
        "s=-\r\n" +
        "t=0 0\r\n" +
        "a=group:BUNDLE 0 1\r\n" +
        "a=extmap-allow-mixed\r\n" +
        "a=msid-semantic: WMS 2b5f4a2e-0d8c-4a8e-9d0b-6a3f1c2e7b90\r\n" +
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n" +
        "c=IN IP4 0.0.0.0\r\n" +
        "a=rtcp:9 IN IP4 0.0.0.0\r\n" +
        "a=candidate:1467250027 1 udp 2122260223 127.0.0.1 49152 typ host generation 0 network-id 1\r\n" +
        "a=ice-ufrag:Xq3v\r\n" +
        "a=ice-pwd:m6oSeS1y4Vr9bJgUq6TqW0rZ\r\n" +
        "a=ice-options:trickle\r\n" +
        "a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\n" +
        "a=setup:actpass\r\n" +
        "a=mid:0\r\n" +
        "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n" +
        "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n" +
        "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n" +
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n" +
        "a=sendrecv\r\n" +
        "a=msid:2b5f4a2e-0d8c-4a8e-9d0b-6a3f1c2e7b90 4c1d0e9a-3b7f-4f2e-8a6d-1e5c9b0a7d32\r\n" +
        "a=rtcp-mux\r\n" +
        "a=rtcp-rsize\r\n" +
        "a=rtpmap:111 opus/48000/2\r\n" +
        "a=rtcp-fb:111 transport-cc\r\n" +
        "a=fmtp:111 minptime=10;useinbandfec=1\r\n" +
        "a=rtpmap:63 red/48000/2\r\n" +
        "a=fmtp:63 111/111\r\n" +
        "a=rtpmap:9 G722/8000\r\n" +
        "a=rtpmap:0 PCMU/8000\r\n" +
        "a=rtpmap:8 PCMA/8000\r\n" +
        "a=rtpmap:13 CN/8000\r\n" +
        "a=rtpmap:110 telephone-event/48000\r\n" +
        "a=rtpmap:126 telephone-event/8000\r\n" +
        "a=ssrc:3735928559 cname:q2Pq0vLw1nJ8sT4k\r\n" +
        "a=ssrc:3735928559 msid:2b5f4a2e-0d8c-4a8e-9d0b-6a3f1c2e7b90 4c1d0e9a-3b7f-4f2e-8a6d-1e5c9b0a7d32\r\n" +
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 105 106 107 108 109 127 125 39 40 45 46 98 99 100 101 112 113 114\r\n" +
        "c=IN IP4 0.0.0.0\r\n" +
        "a=rtcp:9 IN IP4 0.0.0.0\r\n" +
        "a=ice-ufrag:Xq3v\r\n" +
        "a=ice-pwd:m6oSeS1y4Vr9bJgUq6TqW0rZ\r\n" +
        "a=ice-options:trickle\r\n" +
        "a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\n" +
        "a=setup:actpass\r\n" +
        "a=mid:1\r\n" +
        "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset\r\n" +
        "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n" +
        "a=extmap:13 urn:3gpp:video-orientation\r\n" +
        "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n" +
        "a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay\r\n" +
        "a=extmap:6 http://www.webrtc.org/experiments/rtp-hdrext/video-content-type\r\n" +
        "a=extmap:7 http://www.webrtc.org/experiments/rtp-hdrext/video-timing\r\n" +
        "a=extmap:8 http://www.webrtc.org/experiments/rtp-hdrext/color-space\r\n" +
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n" +
        "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n" +
        "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\n" +
        "a=sendrecv\r\n" +
        "a=msid:2b5f4a2e-0d8c-4a8e-9d0b-6a3f1c2e7b90 9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b\r\n" +
        "a=rtcp-mux\r\n" +
        "a=rtcp-rsize\r\n" +
        "a=rtpmap:96 VP8/90000\r\n" +
        "a=rtcp-fb:96 goog-remb\r\n" +
        "a=rtcp-fb:96 transport-cc\r\n" +
        "a=rtcp-fb:96 ccm fir\r\n" +
        "a=rtcp-fb:96 nack\r\n" +
        "a=rtcp-fb:96 nack pli\r\n" +
        "a=rtpmap:97 rtx/90000\r\n" +
        "a=fmtp:97 apt=96\r\n" +
        "a=rtpmap:102 H264/90000\r\n" +
        "a=rtcp-fb:102 goog-remb\r\n" +
        "a=rtcp-fb:102 transport-cc\r\n" +
        "a=rtcp-fb:102 ccm fir\r\n" +
        "a=rtcp-fb:102 nack\r\n" +
        "a=rtcp-fb:102 nack pli\r\n" +
        "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n" +
        "a=rtpmap:103 rtx/90000\r\n" +
        "a=fmtp:103 apt=102\r\n" +
        "a=rtpmap:104 H264/90000\r\n" +
        "a=rtcp-fb:104 goog-remb\r\n" +
        "a=rtcp-fb:104 transport-cc\r\n" +
        "a=rtcp-fb:104 ccm fir\r\n" +
        "a=rtcp-fb:104 nack\r\n" +
        "a=rtcp-fb:104 nack pli\r\n" +
        "a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f\r\n" +
        "a=rtpmap:105 rtx/90000\r\n" +
        "a=fmtp:105 apt=104\r\n" +
        "a=rtpmap:106 H264/90000\r\n" +
        "a=rtcp-fb:106 goog-remb\r\n" +
        "a=rtcp-fb:106 transport-cc\r\n" +
        "a=rtcp-fb:106 ccm fir\r\n" +
        "a=rtcp-fb:106 nack\r\n" +
        "a=rtcp-fb:106 nack pli\r\n" +
        "a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n" +
        "a=rtpmap:107 rtx/90000\r\n" +
        "a=fmtp:107 apt=106\r\n" +
        "a=rtpmap:108 H264/90000\r\n" +
        "a=rtcp-fb:108 goog-remb\r\n" +
        "a=rtcp-fb:108 transport-cc\r\n" +
        "a=rtcp-fb:108 ccm fir\r\n" +
        "a=rtcp-fb:108 nack\r\n" +
        "a=rtcp-fb:108 nack pli\r\n" +
        "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f\r\n" +
        "a=rtpmap:109 rtx/90000\r\n" +
        "a=fmtp:109 apt=108\r\n" +
        "a=rtpmap:127 H264/90000\r\n" +
        "a=rtcp-fb:127 goog-remb\r\n" +
        "a=rtcp-fb:127 transport-cc\r\n" +
        "a=rtcp-fb:127 ccm fir\r\n" +
        "a=rtcp-fb:127 nack\r\n" +
        "a=rtcp-fb:127 nack pli\r\n" +
        "a=fmtp:127 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f\r\n" +
        "a=rtpmap:125 rtx/90000\r\n" +
        "a=fmtp:125 apt=127\r\n" +
        "a=rtpmap:39 H264/90000\r\n" +
        "a=rtcp-fb:39 goog-remb\r\n" +
        "a=rtcp-fb:39 transport-cc\r\n" +
        "a=rtcp-fb:39 ccm fir\r\n" +
        "a=rtcp-fb:39 nack\r\n" +
        "a=rtcp-fb:39 nack pli\r\n" +
        "a=fmtp:39 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=4d001f\r\n" +
        "a=rtpmap:40 rtx/90000\r\n" +
        "a=fmtp:40 apt=39\r\n" +
        "a=rtpmap:45 AV1/90000\r\n" +
        "a=rtcp-fb:45 goog-remb\r\n" +
        "a=rtcp-fb:45 transport-cc\r\n" +
        "a=rtcp-fb:45 ccm fir\r\n" +
        "a=rtcp-fb:45 nack\r\n" +
        "a=rtcp-fb:45 nack pli\r\n" +
        "a=fmtp:45 level-idx=5;profile=0;tier=0\r\n" +
        "a=rtpmap:46 rtx/90000\r\n" +
        "a=fmtp:46 apt=45\r\n" +
        "a=rtpmap:98 VP9/90000\r\n" +
        "a=rtcp-fb:98 goog-remb\r\n" +
        "a=rtcp-fb:98 transport-cc\r\n" +
        "a=rtcp-fb:98 ccm fir\r\n" +
        "a=rtcp-fb:98 nack\r\n" +
        "a=rtcp-fb:98 nack pli\r\n" +
        "a=fmtp:98 profile-id=0\r\n" +
        "a=rtpmap:99 rtx/90000\r\n" +
        "a=fmtp:99 apt=98\r\n" +
        "a=rtpmap:100 VP9/90000\r\n" +
        "a=rtcp-fb:100 goog-remb\r\n" +
        "a=rtcp-fb:100 transport-cc\r\n" +
        "a=rtcp-fb:100 ccm fir\r\n" +
        "a=rtcp-fb:100 nack\r\n" +
        "a=rtcp-fb:100 nack pli\r\n" +
        "a=fmtp:100 profile-id=2\r\n" +
        "a=rtpmap:101 rtx/90000\r\n" +
        "a=fmtp:101 apt=100\r\n" +
        "a=rtpmap:112 red/90000\r\n" +
        "a=rtpmap:113 rtx/90000\r\n" +
        "a=fmtp:113 apt=112\r\n" +
        "a=rtpmap:114 ulpfec/90000\r\n" +
        "a=ssrc-group:FID 2864434397 4023233417\r\n" +
        "a=ssrc:2864434397 cname:q2Pq0vLw1nJ8sT4k\r\n" +
        "a=ssrc:2864434397 msid:2b5f4a2e-0d8c-4a8e-9d0b-6a3f1c2e7b90 9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b\r\n" +
        "a=ssrc:4023233417 cname:q2Pq0vLw1nJ8sT4k\r\n" +
        "a=ssrc:4023233417 msid:2b5f4a2e-0d8c-4a8e-9d0b-6a3f1c2e7b90 9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b\r\n";

    [GlobalSetup]
    public void Setup()
    {
        if (!SessionDescription.TryParse(FfmpegOffer, out var ffmpeg, out var error) || ffmpeg.Media.Count != 2 || ffmpeg.IsWebRtc)
        {
            throw new InvalidOperationException("The FFmpeg offer does not parse as plain RTP: " + error);
        }
        if (!SessionDescription.TryParse(ChromiumOffer, out var chromium, out error) || chromium.Media.Count != 2 || !chromium.IsWebRtc)
        {
            throw new InvalidOperationException("The Chromium-style offer does not parse as WebRTC: " + error);
        }
        if (!SdpOffers.TryRead(FfmpegOffer, out _, out error))
        {
            throw new InvalidOperationException("The server refuses the FFmpeg offer: " + error);
        }
    }

    [Benchmark]
    public int Parse_FfmpegPlainRtpOffer() =>
        SessionDescription.TryParse(FfmpegOffer, out var description, out _) ? description.Media.Count : -1;

    [Benchmark]
    public int Parse_ChromiumWebRtcOffer() =>
        SessionDescription.TryParse(ChromiumOffer, out var description, out _) ? description.Media.Count : -1;

    /// <summary>The server's whole reading of a join offer: parse, then reduce to the relay's terms (addresses, codecs, directions).</summary>
    [Benchmark]
    public int ReadJoinOffer_Ffmpeg() => SdpOffers.TryRead(FfmpegOffer, out var offer, out _) ? offer.Media.Count : -1;
}
