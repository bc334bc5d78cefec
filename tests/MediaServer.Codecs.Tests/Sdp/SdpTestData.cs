using System.Runtime.CompilerServices;

namespace MediaServer.Codecs.Tests.Sdp;

internal static class SdpTestData
{
    /// <summary>Reads a file from Sdp/TestData next to this source file, bytes as stored (CRLF kept).</summary>
    public static string Load(string name) => File.ReadAllText(Path.Combine(Directory(), "TestData", name));

    private static string Directory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;

    // RFC 8866 §5 example, as printed there (LF endings here; the parser accepts both).
    public const string Rfc8866Example = """
        v=0
        o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1
        s=Call to John Smith
        i=SDP Offer #1
        u=http://www.jdoe.example.com/home.html
        e=Jane Doe <jane@jdoe.example.com>
        p=+1 617 555-6011
        c=IN IP4 198.51.100.1
        t=0 0
        m=audio 49170 RTP/AVP 0
        m=audio 49180 RTP/AVP 0
        m=video 51372 RTP/AVP 99
        c=IN IP6 2001:db8::2
        a=rtpmap:99 h263-1998/90000

        """;

    // RFC 3264 §10.1: Alice's offer and Bob's answer.
    public const string Rfc3264Offer = """
        v=0
        o=alice 2890844526 2890844526 IN IP4 host.atlanta.example.com
        s=
        c=IN IP4 host.atlanta.example.com
        t=0 0
        m=audio 49170 RTP/AVP 0 8 97
        a=rtpmap:0 PCMU/8000
        a=rtpmap:8 PCMA/8000
        a=rtpmap:97 iLBC/8000
        m=video 51372 RTP/AVP 31 32
        a=rtpmap:31 H261/90000
        a=rtpmap:32 MPV/90000

        """;

    public const string Rfc3264Answer = """
        v=0
        o=bob 2808844564 2808844564 IN IP4 host.biloxi.example.com
        s=
        c=IN IP4 host.biloxi.example.com
        t=0 0
        m=audio 49174 RTP/AVP 0
        a=rtpmap:0 PCMU/8000
        m=video 49170 RTP/AVP 32
        a=rtpmap:32 MPV/90000

        """;

    // In the shape of RFC 3264 §10's follow-up offers: a stream put on sendonly, and the video stream disabled with port 0.
    public const string Rfc3264SecondOffer = """
        v=0
        o=bob 2808844564 2808844565 IN IP4 host.biloxi.example.com
        s=
        c=IN IP4 host.biloxi.example.com
        t=0 0
        m=audio 49178 RTP/AVP 97
        a=rtpmap:97 iLBC/8000
        a=sendonly
        m=video 0 RTP/AVP 32
        a=rtpmap:32 MPV/90000

        """;

    public static readonly string[] SampleFiles =
    [
        "ffmpeg-vp8-opus.sdp",
        "ffmpeg-h264-opus.sdp",
        "ffmpeg-h264-global-header-opus.sdp",
        "chromium-offer-audio-video.sdp",
        "aiortc-offer-audio-video.sdp",
    ];

    public static IEnumerable<string> AllSamples() =>
        SampleFiles.Select(Load).Concat([Rfc8866Example, Rfc3264Offer, Rfc3264Answer, Rfc3264SecondOffer]);
}
