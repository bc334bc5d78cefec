using System.Diagnostics;
using System.Text;
using MediaServer.Codecs.Sdp;

namespace MediaServer.Codecs.Tests.Sdp;

/// <summary>An offer is hostile input: limits hold, errors name the line and the problem, nothing throws.</summary>
public sealed class SdpHostileInputTests
{
    private const string Head = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";

    private static string Sdp(params string[] lines) => Head + string.Concat(lines.Select(l => l + "\r\n"));

    [Fact]
    public void Rejects_500_m_lines_naming_the_limit_and_the_line()
    {
        var text = new StringBuilder(Head);
        for (var i = 0; i < 500; i++)
        {
            text.Append("m=audio ").Append(10000 + i * 2).Append(" RTP/AVP 0\r\n");
        }

        var result = SdpParser.Parse(text.ToString());

        Assert.False(result.Success);
        Assert.Equal(5 + SdpLimits.DefaultMaxMediaDescriptions, result.LineNumber);
        Assert.Equal("line 37: too many media descriptions: the limit is 32 m= lines", result.Error);
    }

    [Fact]
    public void Accepts_exactly_the_m_line_limit()
    {
        var lines = Enumerable.Range(0, SdpLimits.DefaultMaxMediaDescriptions).Select(i => $"m=audio {10000 + i} RTP/AVP 0").ToArray();
        Assert.Equal(32, SdpAssert.Parses(Sdp(lines)).Media.Count);
    }

    [Fact]
    public void Rejects_a_10_MB_string_by_its_length_without_reading_it()
    {
        var huge = Head + new string('a', 10 * 1024 * 1024);
        var watch = Stopwatch.StartNew();

        var result = SdpParser.Parse(huge);

        watch.Stop();
        Assert.False(result.Success);
        Assert.Null(result.LineNumber);
        Assert.Equal($"the SDP is {huge.Length} characters long; the limit is 65536", result.Error);
        Assert.True(watch.ElapsedMilliseconds < 50, $"took {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void Custom_limits_tighten_the_defaults()
    {
        var limits = SdpLimits.Default with { MaxMediaDescriptions = 1, MaxAttributesPerSection = 2, MaxFormatsPerMedia = 2, MaxLines = 8 };

        Assert.Contains("the limit is 1 m= lines", SdpAssert.Fails(Sdp("m=audio 1 RTP/AVP 0", "m=audio 3 RTP/AVP 0"), limits), StringComparison.Ordinal);
        Assert.Contains("the limit is 2 a= lines", SdpAssert.Fails(Sdp("a=x", "a=y", "a=z"), limits), StringComparison.Ordinal);
        Assert.Contains("lists 3 formats; the limit is 2", SdpAssert.Fails(Sdp("m=audio 1 RTP/AVP 0 8 9"), limits), StringComparison.Ordinal);
        Assert.Contains("more than 8 lines", SdpAssert.Fails(Sdp("a=a", "a=b", "m=audio 1 RTP/AVP 0", "a=c", "a=d"), limits), StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_too_many_attributes_formats_lines_and_long_lines()
    {
        var attributes = Enumerable.Range(0, SdpLimits.DefaultMaxAttributesPerSection + 1).Select(i => "a=x" + i).ToArray();
        Assert.Contains("the limit is 512 a= lines per section", SdpAssert.Fails(Sdp(attributes)), StringComparison.Ordinal);

        var formats = string.Join(' ', Enumerable.Range(0, 129).Select(i => "f" + i));
        Assert.Contains("lists 129 formats; the limit is 128", SdpAssert.Fails(Sdp("m=application 9 UDP/DTLS/SCTP " + formats)), StringComparison.Ordinal);

        var lines = Enumerable.Repeat("e=x", SdpLimits.DefaultMaxLines).ToArray();
        Assert.Contains("more than 4096 lines", SdpAssert.Fails(Sdp(lines)), StringComparison.Ordinal);

        Assert.Contains("the line is 5002 characters long; the limit is 4096",
            SdpAssert.Fails(Sdp("a=x:" + new string('y', 4998))), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "the SDP is empty")]
    [InlineData("\r\n\r\n", "the SDP is empty")]
    [InlineData("o=- 1 1 IN IP4 1.2.3.4\r\n", "line 1: the first line must be 'v=0'")]
    [InlineData("v=1\r\n", "line 1: the SDP version must be 0")]
    [InlineData("v=0\r\ns=-\r\nt=0 0\r\n", "no o= (origin) line")]
    [InlineData("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nt=0 0\r\n", "no s= (session name) line")]
    [InlineData("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n", "no t= (timing) line")]
    [InlineData("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nthis is not sdp\r\n", "line 4: expected '<letter>=<value>' but found 'this is not sdp'")]
    [InlineData("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n a=x\r\n", "line 4: expected '<letter>=<value>'")]
    [InlineData("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nA=x\r\n", "line 4: 'A=' is not an SDP line type")]
    [InlineData("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nx=whatever\r\n", "line 4: 'x=' is not a line type defined by RFC 8866")]
    [InlineData("v=0\r\no=- 1 1 IN IP4\r\n", "line 2: o= must be")]
    [InlineData("v=0\r\no=- abc 1 IN IP4 1.2.3.4\r\n", "line 2: o= session id 'abc' is not a number")]
    [InlineData("v=0\r\nv=0\r\n", "line 2: a second v= line")]
    [InlineData("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=now\r\n", "line 4: t= must be")]
    [InlineData("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nr=7d 1h 0 25h\r\n", "line 4: r= must follow a t= line")]
    [InlineData("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4\r\n", "line 4: c= must be")]
    [InlineData("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 224.2.1.1/300\r\n", "line 4: c= TTL '300' is out of range")]
    [InlineData("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nb=AS\r\n", "line 4: b= must be '<type>:<bandwidth>'")]
    [InlineData("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nb=AS:-5\r\n", "line 4: b= bandwidth '-5' is not a whole number")]
    [InlineData("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\na=x\0y\r\n", "line 4: the line contains a NUL character")]
    [InlineData("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\na=x\ry\r\n", "line 4: the line contains a carriage return")]
    [InlineData("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\na=bad name:1\r\n", "line 4: attribute name 'bad name' is not a valid token")]
    public void Rejects_malformed_session_lines_with_a_readable_error(string text, string expected)
    {
        Assert.Contains(expected, SdpAssert.Fails(text), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("m=audio 70000 RTP/AVP 0", "line 5: m= port '70000' is not a whole number in 0..65535")]
    [InlineData("m=audio -1 RTP/AVP 0", "m= port '-1' is not a whole number")]
    [InlineData("m=audio 5000/0 RTP/AVP 0", "m= port count '0'")]
    [InlineData("m=audio 5000 RTP/AVP 128", "line 5: m= payload type '128' is not a whole number in 0..127")]
    [InlineData("m=audio 5000 RTP/AVP opus", "m= payload type 'opus' is not a whole number in 0..127")]
    [InlineData("m=audio 5000 RTP/AVP", "m= lists no formats")]
    [InlineData("m=audio 5000", "m= must be")]
    [InlineData("m=audio 5000 RTP//AVP 0", "m= protocol 'RTP//AVP' is not valid")]
    [InlineData("m=audio 5000 RTP/AVP 0\r\ns=again", "line 6: s= is a session-level line but appears inside the media description that starts on line 5")]
    [InlineData("m=audio 5000 RTP/AVP 0\r\nt=0 0", "line 6: t= is a session-level line")]
    [InlineData("m=audio 5000 RTP/AVP 0\r\nc=IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.5", "line 7: a second c= line in the same section")]
    public void Rejects_malformed_m_lines_with_a_readable_error(string media, string expected)
    {
        Assert.Contains(expected, SdpAssert.Fails(Sdp(media)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a=rtpmap:96 VP8/abc", "line 6: a=rtpmap: clock rate 'abc' is not a positive whole number")]
    [InlineData("a=rtpmap:96 VP8", "a=rtpmap: expected '<payload type> <encoding>/<clock rate>[/<channels>]'")]
    [InlineData("a=rtpmap:96 VP8/90000/2/3", "a=rtpmap: expected")]
    [InlineData("a=rtpmap:200 VP8/90000", "a=rtpmap: payload type '200' is not a whole number in 0..127")]
    [InlineData("a=rtpmap:96 opus/48000/x", "a=rtpmap: channel count 'x'")]
    [InlineData("a=rtpmap", "a=rtpmap: the payload type is missing")]
    [InlineData("a=rtpmap:96 VP8/90000\r\na=rtpmap:96 H264/90000", "line 7: a=rtpmap: payload type 96 already has an rtpmap")]
    [InlineData("a=fmtp:x apt=96", "a=fmtp: payload type 'x'")]
    [InlineData("a=fmtp:97 apt=96\r\na=fmtp:97 apt=98", "payload type 97 already has an fmtp")]
    [InlineData("a=rtcp-fb:96", "a=rtcp-fb: feedback type '' is missing")]
    [InlineData("a=rtcp-fb:all nack", "a=rtcp-fb: payload type 'all'")]
    [InlineData("a=fingerprint:sha-256 ZZ:00", "a=fingerprint: fingerprint 'ZZ:00' is not colon-separated pairs of hex digits")]
    [InlineData("a=fingerprint:sha-256 AB:CD:E", "is not colon-separated pairs of hex digits")]
    [InlineData("a=fingerprint:sha-256 AB-CD-EF", "is not colon-separated pairs of hex digits")]
    [InlineData("a=fingerprint:sha-256 +A:CD", "is not colon-separated pairs of hex digits")]
    [InlineData("a=fingerprint:sha-256 AB:CD", "a sha-256 fingerprint has 32 bytes, not 2")]
    [InlineData("a=fingerprint:AB:CD", "a=fingerprint: expected '<hash function> <XX:XX:...>'")]
    [InlineData("a=setup:server", "a=setup: setup role 'server' is not active, passive, actpass or holdconn")]
    [InlineData("a=setup:active\r\na=setup:passive", "line 7: a=setup: appears twice")]
    [InlineData("a=sendrecv\r\na=recvonly", "a second direction attribute in the same section (the first is a=sendrecv)")]
    [InlineData("a=mid:a b", "a=mid: mid 'a b' is missing or not a valid token")]
    [InlineData("a=mid:0\r\na=mid:1", "a second a=mid")]
    [InlineData("a=ice-ufrag:ab", "a=ice-ufrag: 'ab' is not 4..256 characters")]
    [InlineData("a=ice-pwd:short", "a=ice-pwd: the password is not 22..256 characters")]
    [InlineData("a=extmap:0 urn:x", "a=extmap: id '0' is not in 1..255 or 4096..4351")]
    [InlineData("a=extmap:1/sideways urn:x", "a=extmap: direction 'sideways'")]
    [InlineData("a=extmap:1", "a=extmap: the extension URI is missing")]
    [InlineData("a=extmap:1 urn:a\r\na=extmap:1 urn:b", "extension id 1 is used twice")]
    [InlineData("a=ssrc:4294967296 cname:x", "a=ssrc: SSRC '4294967296' is not a whole number")]
    [InlineData("a=ssrc:1", "a=ssrc: source attribute name '' is missing")]
    [InlineData("a=ssrc-group:FID 1 two", "a=ssrc-group: SSRC 'two'")]
    [InlineData("a=msid:a b c", "a=msid: expected '<stream id> [<track id>]'")]
    [InlineData("a=rtcp:99999", "a=rtcp: port '99999'")]
    [InlineData("a=rtcp:9 IN IP4", "a=rtcp: expected")]
    [InlineData("a=candidate:1 1 udp 2122260223 192.168.1.5 51012 host", "a=candidate: expected")]
    [InlineData("a=candidate:1 1 udp 99999999999 192.168.1.5 51012 typ host", "a=candidate: priority '99999999999'")]
    [InlineData("a=candidate:1 1 udp 1 192.168.1.5 70000 typ host", "a=candidate: port '70000'")]
    [InlineData("a=candidate:1 0 udp 1 192.168.1.5 5000 typ host", "a=candidate: component '0'")]
    [InlineData("a=candidate:1 1 udp 1 192.168.1.5 5000 typ srflx raddr 1.2.3.4 rport x", "a=candidate: rport 'x'")]
    public void Rejects_malformed_attributes_the_server_acts_on(string attributes, string expected)
    {
        Assert.Contains(expected, SdpAssert.Fails(Sdp("m=video 9 UDP/TLS/RTP/SAVPF 96 97", attributes)), StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_duplicate_mids_and_BUNDLE_groups_naming_unknown_mids()
    {
        Assert.Contains("line 8: a=mid: mid '0' is already used by the media description on line 5",
            SdpAssert.Fails(Sdp("m=audio 9 RTP/AVP 0", "a=mid:0", "m=video 9 RTP/AVP 96", "a=mid:0")), StringComparison.Ordinal);
        Assert.Contains("line 5: a=group:BUNDLE names mid '2', which no m= section has",
            SdpAssert.Fails(Sdp("a=group:BUNDLE 0 2", "m=audio 9 RTP/AVP 0", "a=mid:0")), StringComparison.Ordinal);
    }

    [Fact]
    public void Keeps_RTP_only_attributes_unchecked_on_non_RTP_m_lines_and_unknown_attributes_as_they_are()
    {
        var sdp = SdpAssert.Parses(Sdp(
            "a=x-unknown-flag",
            "a=x-unknown:  spaced value ",
            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
            "a=sctp-port:5000",
            "a=fmtp:webrtc-datachannel max-message-size=262144",
            "a=rtpmap:whatever"));

        Assert.Equal([new SdpAttribute("x-unknown-flag"), new SdpAttribute("x-unknown", "  spaced value ")], sdp.Attributes);
        Assert.True(sdp.IsWebRtc);
        Assert.False(sdp.Media[0].IsRtp);
        Assert.Equal(3, sdp.Media[0].Attributes.Count);
        Assert.Empty(sdp.Media[0].Fmtps);
        Assert.Empty(sdp.Media[0].RtpMaps);
        Assert.Empty(sdp.Media[0].PayloadTypes);
        Touch(sdp);
    }

    [Fact]
    public void Accepts_LF_CRLF_a_missing_final_newline_and_blank_lines()
    {
        var crlf = Sdp("m=audio 5000 RTP/AVP 0");
        var lf = crlf.Replace("\r\n", "\n", StringComparison.Ordinal);
        var noFinal = crlf.TrimEnd('\r', '\n');
        var blanks = crlf.Replace("s=-\r\n", "s=-\r\n\r\n\n", StringComparison.Ordinal);
        foreach (var text in new[] { crlf, lf, noFinal, blanks })
        {
            Assert.Equal(5000, SdpAssert.Parses(text).Media[0].Port);
        }
    }

    [Fact]
    public void Every_truncation_of_a_valid_offer_parses_or_fails_cleanly()
    {
        var text = SdpTestData.Load("chromium-offer-audio-video.sdp");
        for (var length = 0; length <= text.Length; length++)
        {
            var result = SdpParser.ParseUnguarded(text[..length], SdpLimits.Default);
            Assert.True(result.Success || !string.IsNullOrEmpty(result.Error));
        }
    }

    [Fact]
    public void Seeded_random_mutations_never_throw()
    {
        var samples = SdpTestData.AllSamples().ToArray();
        const string Interesting = "=:/ \r\n\0\t-*0123456789abcdefxyzAZ\u00e9\ud800";
        for (var seed = 0; seed < 3000; seed++)
        {
            var random = new Random(seed);
            var text = samples[random.Next(samples.Length)];
            var mutated = (seed % 3) switch
            {
                0 => FlipChars(text, random, Interesting),
                1 => ShuffleLines(text, random),
                _ => SpliceLines(text, samples[random.Next(samples.Length)], random),
            };
            var result = SdpParser.ParseUnguarded(mutated, SdpLimits.Default);
            if (result.Success)
            {
                // Whatever parses must also write, read back and expose its typed views without throwing.
                var sdp = result.Description;
                _ = SdpParser.ParseUnguarded(sdp.ToString(), SdpLimits.Default);
                Touch(sdp);
            }
            else
            {
                Assert.False(string.IsNullOrEmpty(result.Error), $"seed {seed}");
            }
        }
    }

    [Fact]
    public void Random_bytes_decoded_as_text_never_throw()
    {
        var random = new Random(42);
        for (var i = 0; i < 2000; i++)
        {
            var bytes = new byte[random.Next(0, 300)];
            random.NextBytes(bytes);
            var text = (i % 2 == 0 ? "v=0\n" : "") + Encoding.UTF8.GetString(bytes);
            var result = SdpParser.ParseUnguarded(text, SdpLimits.Default);
            Assert.True(result.Success || result.Error is not null);
        }
    }

    internal static void Touch(SessionDescription sdp)
    {
        _ = (sdp.Groups, sdp.BundleGroups, sdp.IsWebRtc, sdp.IsIceLite, sdp.Direction, sdp.Setup, sdp.Fingerprints, sdp.IceUfrag);
        foreach (var m in sdp.Media)
        {
            _ = (m.RtpMaps, m.Fmtps.Select(f => f.Parameters.Count).ToList(), m.RtcpFeedback, m.Direction, m.Mid, m.RtcpMux, m.Rtcp,
                m.Extmaps, m.Ssrcs, m.SsrcGroups, m.Msids, m.IceUfrag, m.IcePwd, m.Fingerprints, m.Setup, m.Candidates,
                m.PayloadTypes, sdp.EffectiveConnection(m));
        }
    }

    private static string FlipChars(string text, Random random, string alphabet)
    {
        var chars = text.ToCharArray();
        var flips = random.Next(1, 8);
        for (var i = 0; i < flips; i++)
        {
            var at = random.Next(chars.Length);
            chars[at] = random.Next(2) == 0 ? alphabet[random.Next(alphabet.Length)] : (char)random.Next(0, 0x80);
        }
        return new string(chars);
    }

    private static string ShuffleLines(string text, Random random)
    {
        var lines = text.Split('\n');
        var swaps = random.Next(1, 6);
        for (var i = 0; i < swaps; i++)
        {
            var a = random.Next(lines.Length);
            var b = random.Next(lines.Length);
            (lines[a], lines[b]) = (lines[b], lines[a]);
        }
        return string.Join('\n', lines);
    }

    private static string SpliceLines(string text, string other, Random random)
    {
        var lines = text.Split('\n').ToList();
        var donor = other.Split('\n');
        var count = random.Next(1, 10);
        for (var i = 0; i < count; i++)
        {
            lines.Insert(random.Next(lines.Count + 1), donor[random.Next(donor.Length)]);
        }
        if (random.Next(4) == 0 && lines.Count > 1)
        {
            lines.RemoveAt(random.Next(lines.Count));
        }
        return string.Join('\n', lines);
    }
}
