using System.Net;
using MediaServer.Codecs.Sdp;

namespace MediaServer.Codecs.Tests.Sdp;

public sealed class SdpWriterTests
{
    [Fact]
    public void Writes_CRLF_lines_in_RFC_8866_order_whatever_order_the_input_had()
    {
        // Session lines deliberately out of order, LF endings.
        var sdp = SdpAssert.Parses(string.Join('\n',
            "v=0", "a=first", "t=1 2", "r=7d 1h 0 25h", "z=2882844526 -1h", "k=prompt", "b=AS:10", "c=IN IP4 224.2.1.1/127/3",
            "p=+1 555", "e=a@b", "u=http://x", "i=info", "s=name", "o=- 1 2 IN IP4 1.2.3.4",
            "m=audio 5000/2 RTP/AVP 0", "a=rtpmap:0 PCMU/8000", "k=clear:abc", "b=AS:5", "c=IN IP4 1.2.3.5", "i=media info"));

        var text = sdp.ToString();

        Assert.EndsWith("\r\n", text, StringComparison.Ordinal);
        var lines = text.Split("\r\n")[..^1];
        Assert.DoesNotContain(lines, l => l.Contains('\n', StringComparison.Ordinal));
        Assert.Equal(
            ["v", "o", "s", "i", "u", "e", "p", "c", "b", "t", "r", "z", "k", "a", "m", "i", "c", "b", "k", "a"],
            lines.Select(l => l[..1]));
        Assert.Equal("c=IN IP4 224.2.1.1/127/3", lines[7]);
        Assert.Equal("m=audio 5000/2 RTP/AVP 0", lines[14]);
    }

    [Fact]
    public void Refuses_to_write_a_value_that_would_inject_a_line()
    {
        var sdp = new SessionDescription();
        sdp.Media.Add(new MediaDescription("audio", 5000, "RTP/AVP", "0").SetMid("0\r\na=evil"));

        var error = Assert.Throws<ArgumentException>(() => SdpWriter.Write(sdp));
        Assert.Contains("a= value contains a CR, LF or NUL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_new_description_writes_the_minimum_that_parses()
    {
        var text = new SessionDescription().ToString();

        Assert.Equal("v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", text);
        SdpAssert.Parses(text);
    }

    [Fact]
    public void Builds_a_WebRTC_answer_that_reads_back_through_the_typed_accessors()
    {
        var digest = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();
        var fingerprint = new SdpFingerprint("SHA-256", digest);
        var answer = new SessionDescription { Origin = SdpOrigin.Create("4611731400430051336", "1", "127.0.0.1") }
            .AddAttribute("ice-lite")
            .AddGroup(SdpGroup.Bundle, "0", "1");
        answer.Media.Add(new MediaDescription("audio", 9, "UDP/TLS/RTP/SAVPF", "111") { Connection = SdpConnection.FromIPAddress(IPAddress.Parse("192.0.2.10")) }
            .SetMid("0")
            .SetIceCredentials("srvU", "0123456789abcdefghijkl")
            .AddFingerprint(fingerprint)
            .SetSetup(SdpSetup.Passive)
            .SetDirection(SdpDirection.SendRecv)
            .AddAttribute("rtcp-mux")
            .AddRtpMap(111, "opus", 48000, 2)
            .AddFmtp(111, "minptime=10;useinbandfec=1")
            .AddRtcpFeedback(111, "transport-cc")
            .AddCandidate(SdpCandidate.Create("1", 1, "udp", 2130706431, "192.0.2.10", 40000, "host"))
            .AddAttribute("end-of-candidates"));
        answer.Media.Add(new MediaDescription("video", 9, "UDP/TLS/RTP/SAVPF", "96", "97")
            .SetMid("1")
            .SetDirection(SdpDirection.SendOnly)
            .SetDirection(SdpDirection.RecvOnly)
            .AddRtpMap(96, "VP8", 90000)
            .AddRtcpFeedback(96, "nack", "pli")
            .AddRtcpFeedback(null, "ccm", "fir")
            .AddRtpMap(97, "rtx", 90000)
            .AddFmtp(SdpFmtp.Create(97, new KeyValuePair<string, string>("apt", "96")))
            .AddExtmap(new SdpExtmap(4, "urn:ietf:params:rtp-hdrext:sdes:mid"))
            .AddSsrcGroup("FID", 1111, 2222)
            .AddSsrc(1111, "cname", "server")
            .SetMsid(new SdpMsid("visit-1", "kiosk-video")));

        var parsed = SdpAssert.Parses(answer.ToString());

        Assert.True(parsed.IsIceLite);
        Assert.Equal(["0", "1"], parsed.BundleGroups.Single().Mids);
        var audio = parsed.Media[0];
        Assert.Equal(("srvU", "0123456789abcdefghijkl"), (audio.IceUfrag, audio.IcePwd));
        Assert.Equal(fingerprint, audio.Fingerprint);
        Assert.True(audio.Fingerprint!.Matches("sha-256", digest));
        Assert.Equal(SdpSetup.Passive, audio.Setup);
        Assert.True(audio.RtcpMux);
        Assert.Equal(new SdpRtpMap(111, "opus", 48000, 2), audio.RtpMaps.Single());
        Assert.Equal("1", audio.GetFmtp(111)!.Parameters["useinbandfec"]);
        Assert.Equal(40000, audio.Candidates.Single().Port);
        Assert.True(audio.EndOfCandidates);
        Assert.Equal("192.0.2.10", parsed.EffectiveConnection(audio)!.Address);

        var video = parsed.Media[1];
        Assert.Equal(SdpDirection.RecvOnly, video.Direction);
        Assert.Single(video.Attributes, a => a.Name is "sendonly" or "recvonly");
        Assert.Equal([new SdpRtcpFeedback(96, "nack", "pli"), new SdpRtcpFeedback(null, "ccm", "fir")], video.GetRtcpFeedback(96));
        Assert.Equal([new SdpRtcpFeedback(null, "ccm", "fir")], video.GetRtcpFeedback(97));
        Assert.Equal("96", video.GetFmtp(97)!.Parameters["apt"]);
        Assert.Equal(new SdpExtmap(4, "urn:ietf:params:rtp-hdrext:sdes:mid"), video.Extmaps.Single());
        Assert.Equal([1111u, 2222u], video.SsrcGroups.Single().Ssrcs);
        Assert.Equal(new SdpMsid("visit-1", "kiosk-video"), video.Msid);
        // Not set on the video section: ICE credentials and fingerprint are not inherited from a sibling m-line.
        Assert.Null(video.IceUfrag);
        Assert.Null(video.Fingerprint);
    }

    [Fact]
    public void Media_level_values_override_session_level_ones_and_otherwise_inherit_them()
    {
        var sdp = SdpAssert.Parses(string.Join("\r\n",
            "v=0", "o=- 1 1 IN IP4 1.2.3.4", "s=-", "t=0 0",
            "a=recvonly", "a=ice-ufrag:sess", "a=ice-pwd:sessionpassword+1234567", "a=setup:actpass",
            "a=fingerprint:sha-1 00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13",
            "m=audio 5000 UDP/TLS/RTP/SAVPF 0",
            "m=video 5002 UDP/TLS/RTP/SAVPF 96", "a=inactive", "a=ice-ufrag:medi", "a=setup:active",
            "a=fingerprint:sha-1 FF:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13", ""));
        var (audio, video) = (sdp.Media[0], sdp.Media[1]);

        Assert.Equal(SdpDirection.RecvOnly, audio.Direction);
        Assert.Null(audio.ExplicitDirection);
        Assert.Equal(SdpDirection.Inactive, video.Direction);
        Assert.Equal(("sess", "sessionpassword+1234567"), (audio.IceUfrag, audio.IcePwd));
        Assert.Equal(("medi", "sessionpassword+1234567"), (video.IceUfrag, video.IcePwd));
        Assert.Equal(SdpSetup.ActPass, audio.Setup);
        Assert.Equal(SdpSetup.Active, video.Setup);
        Assert.Equal(0x00, audio.Fingerprint!.Value[0]);
        Assert.Equal(0xFF, video.Fingerprint!.Value[0]);
    }

    [Fact]
    public void Media_collection_tracks_which_session_a_media_description_belongs_to()
    {
        var sdp = new SessionDescription();
        var audio = new MediaDescription("audio", 9, "RTP/AVP", "0");
        Assert.Null(audio.Session);

        sdp.Media.Add(audio);
        Assert.Same(sdp, audio.Session);

        sdp.Media[0] = new MediaDescription("video", 9, "RTP/AVP", "96");
        Assert.Null(audio.Session);
        Assert.Same(sdp, sdp.Media[0].Session);

        sdp.Media.Clear();
        sdp.Media.Insert(0, audio);
        sdp.Media.Remove(audio);
        Assert.Null(audio.Session);
    }
}
