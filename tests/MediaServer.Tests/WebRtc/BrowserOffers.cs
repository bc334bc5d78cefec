namespace MediaServer.Tests.WebRtc;

/// <summary>WebRTC offers shaped like Chromium's (RFC 8829 §5.2): BUNDLE, rtcp-mux, ICE and DTLS attributes, feedback, extmap.</summary>
internal static class BrowserOffers
{
    public const string Fingerprint =
        "sha-256 8A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9";

    /// <summary>A video and an audio m-line; <paramref name="videoFormats"/> are the video rtpmap/fmtp/rtcp-fb lines with their payload types.</summary>
    public static string Offer(string videoPayloadTypes, string videoFormats) =>
        "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\na=msid-semantic: WMS\r\n"
        + $"m=video 9 UDP/TLS/RTP/SAVPF {videoPayloadTypes}\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
        + "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijklmn\r\na=ice-options:trickle\r\n"
        + $"a=fingerprint:{Fingerprint}\r\na=setup:actpass\r\na=mid:0\r\n"
        + "a=extmap:1 urn:ietf:params:rtp-hdrext:toffset\r\n"
        + "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
        + "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
        + "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
        + "a=sendrecv\r\na=msid:s1 t1\r\na=rtcp-mux\r\na=rtcp-rsize\r\n"
        + videoFormats
        + "a=ssrc:1111 cname:x\r\n"
        + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
        + "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijklmn\r\na=ice-options:trickle\r\n"
        + $"a=fingerprint:{Fingerprint}\r\na=setup:actpass\r\na=mid:1\r\n"
        + "a=extmap:14 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
        + "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
        + "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
        + "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
        + "a=sendrecv\r\na=msid:s1 t2\r\na=rtcp-mux\r\n"
        + "a=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
        + "a=ssrc:2222 cname:x\r\n";

    public static string Vp8Feedback(int payloadType) =>
        $"a=rtpmap:{payloadType} VP8/90000\r\n"
        + $"a=rtcp-fb:{payloadType} goog-remb\r\na=rtcp-fb:{payloadType} transport-cc\r\na=rtcp-fb:{payloadType} ccm fir\r\n"
        + $"a=rtcp-fb:{payloadType} nack\r\na=rtcp-fb:{payloadType} nack pli\r\n";

    /// <summary>Chromium's VP8 offer.</summary>
    public static string Vp8() => Offer("96", Vp8Feedback(96));

    public static string H264(int payloadType, string profileLevelId, int packetizationMode = 1, int levelAsymmetry = 1) =>
        $"a=rtpmap:{payloadType} H264/90000\r\na=rtcp-fb:{payloadType} nack\r\na=rtcp-fb:{payloadType} nack pli\r\n"
        + $"a=fmtp:{payloadType} level-asymmetry-allowed={levelAsymmetry};packetization-mode={packetizationMode};profile-level-id={profileLevelId}\r\n";
}
