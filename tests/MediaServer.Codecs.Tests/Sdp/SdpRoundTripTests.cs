using System.Globalization;
using System.Text;
using MediaServer.Codecs.Sdp;

namespace MediaServer.Codecs.Tests.Sdp;

/// <summary>Property: for any valid model x, parse(write(x)) equals x, and writing it again gives the same text.</summary>
public sealed class SdpRoundTripTests
{
    [Fact]
    public void Random_models_survive_write_then_parse()
    {
        for (var seed = 0; seed < 500; seed++)
        {
            var random = new Random(seed);
            var (model, expectedRtpMaps) = RandomSession(random);
            var text = SdpWriter.Write(model);

            var result = SdpParser.ParseUnguarded(text, SdpLimits.Default);

            Assert.True(result.Success, $"seed {seed}: {result.Error}\n{text}");
            SdpAssert.Equal(model, result.Description);
            Assert.Equal(text, result.Description.ToString());
            for (var i = 0; i < model.Media.Count; i++)
            {
                Assert.Equal(expectedRtpMaps[i], result.Description.Media[i].RtpMaps);
            }
            SdpHostileInputTests.Touch(result.Description);
        }
    }

    private const string TokenChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`{|}~";
    private const string TextChars = TokenChars + " :/=;,\"()<>?@[]\\\té漢";

    private static string Token(Random r, int min = 1, int max = 12) => Pick(r, TokenChars, r.Next(min, max + 1));

    private static string Text(Random r, int max = 30) => Pick(r, TextChars, r.Next(0, max + 1));

    private static string Digits(Random r) => r.Next(3) == 0 ? "0" : r.NextInt64(1, long.MaxValue).ToString(CultureInfo.InvariantCulture);

    private static string Pick(Random r, string alphabet, int length)
    {
        var text = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            text.Append(alphabet[r.Next(alphabet.Length)]);
        }
        return text.ToString();
    }

    private static string Ip4(Random r) => $"{r.Next(256)}.{r.Next(256)}.{r.Next(256)}.{r.Next(256)}";

    private static string? Maybe(Random r, Func<string> make) => r.Next(3) == 0 ? make() : null;

    private static SdpConnection RandomConnection(Random r) => r.Next(4) switch
    {
        0 => new SdpConnection("IN", "IP6", $"2001:db8::{r.Next(1, 0xffff):x}", null, r.Next(2) == 0 ? null : r.Next(1, 10)),
        1 => new SdpConnection("IN", "IP4", Ip4(r), r.Next(256), r.Next(2) == 0 ? null : r.Next(1, 10)),
        2 => new SdpConnection("IN", "IP4", "host" + r.Next(100) + ".example.com"),
        _ => new SdpConnection("IN", "IP4", Ip4(r)),
    };

    private static void AddBandwidths(Random r, List<SdpBandwidth> list)
    {
        for (var i = r.Next(3); i > 0; i--)
        {
            list.Add(new SdpBandwidth(r.Next(2) == 0 ? "AS" : Token(r), r.NextInt64(0, 10_000_000)));
        }
    }

    private static SdpAttribute Unknown(Random r) =>
        new("x-" + Token(r), r.Next(3) == 0 ? null : Text(r));

    private static SdpFingerprint RandomFingerprint(Random r)
    {
        var (name, length) = r.Next(3) switch { 0 => ("sha-1", 20), 1 => ("sha-256", 32), _ => ("sha-512", 64) };
        var bytes = new byte[length];
        r.NextBytes(bytes);
        return new SdpFingerprint(name, bytes);
    }

    private static (SessionDescription Model, List<List<SdpRtpMap>> RtpMaps) RandomSession(Random r)
    {
        var sdp = new SessionDescription
        {
            Origin = new SdpOrigin(r.Next(2) == 0 ? "-" : Token(r), Digits(r), Digits(r), "IN", "IP4", Ip4(r)),
            SessionName = r.Next(3) == 0 ? "-" : Text(r),
            Information = Maybe(r, () => Text(r)),
            Uri = Maybe(r, () => "https://example.com/" + Token(r)),
            TimeZones = Maybe(r, () => "2882844526 -1h 2898848070 0"),
            EncryptionKey = Maybe(r, () => "prompt"),
        };
        for (var i = r.Next(3); i > 0; i--)
        {
            sdp.Emails.Add(Text(r));
        }
        for (var i = r.Next(2); i > 0; i--)
        {
            sdp.Phones.Add("+1 617 555-" + r.Next(1000, 9999).ToString(CultureInfo.InvariantCulture));
        }
        if (r.Next(2) == 0)
        {
            sdp.Connection = RandomConnection(r);
        }
        AddBandwidths(r, sdp.Bandwidths);
        sdp.Timings.Clear();
        for (var i = r.Next(1, 4); i > 0; i--)
        {
            var timing = new SdpTiming((ulong)r.NextInt64(), (ulong)r.NextInt64());
            for (var j = r.Next(3); j > 0; j--)
            {
                timing.Repeats.Add("604800 3600 0 90000");
            }
            sdp.Timings.Add(timing);
        }

        var mediaCount = r.Next(0, 6);
        var mids = Enumerable.Range(0, mediaCount).Select(i => "m" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        for (var i = r.Next(4); i > 0; i--)
        {
            sdp.Attributes.Add(Unknown(r));
        }
        if (r.Next(2) == 0)
        {
            sdp.AddGroup("BUNDLE", mids.Where(_ => r.Next(3) != 0));
        }
        if (r.Next(3) == 0)
        {
            sdp.AddAttribute("ice-lite");
            sdp.AddAttribute("ice-ufrag", Pick(r, "abcXYZ019+/", r.Next(4, 20)));
            sdp.AddAttribute("ice-pwd", Pick(r, "abcXYZ019+/", r.Next(22, 40)));
            sdp.AddAttribute("fingerprint", RandomFingerprint(r).ToString());
            sdp.AddAttribute("setup", ((SdpSetup)r.Next(4)).ToAttributeValue());
        }
        if (r.Next(3) == 0)
        {
            sdp.AddAttribute(((SdpDirection)r.Next(4)).ToAttributeName());
        }

        var rtpMaps = new List<List<SdpRtpMap>>();
        for (var i = 0; i < mediaCount; i++)
        {
            var (media, maps) = RandomMedia(r, mids[i]);
            sdp.Media.Add(media);
            rtpMaps.Add(maps);
        }
        return (sdp, rtpMaps);
    }

    private static readonly string[] RtpProtocols = ["RTP/AVP", "RTP/AVPF", "RTP/SAVP", "UDP/TLS/RTP/SAVPF", "TCP/DTLS/RTP/SAVPF"];

    private static (MediaDescription Media, List<SdpRtpMap> RtpMaps) RandomMedia(Random r, string mid)
    {
        var maps = new List<SdpRtpMap>();
        if (r.Next(6) == 0)
        {
            var data = new MediaDescription("application", r.Next(65536), "UDP/DTLS/SCTP", "webrtc-datachannel");
            data.SetMid(mid).AddAttribute("sctp-port", "5000").AddAttribute("max-message-size", "262144");
            return (data, maps);
        }
        var media = new MediaDescription
        {
            Media = r.Next(2) == 0 ? "audio" : "video",
            Port = r.Next(65536),
            PortCount = r.Next(5) == 0 ? r.Next(1, 4) : null,
            Protocol = RtpProtocols[r.Next(RtpProtocols.Length)],
            Information = Maybe(r, () => Text(r)),
            EncryptionKey = Maybe(r, () => "base64:" + Token(r)),
        };
        if (r.Next(2) == 0)
        {
            media.Connection = RandomConnection(r);
        }
        AddBandwidths(r, media.Bandwidths);
        var payloadTypes = Enumerable.Range(0, 128).OrderBy(_ => r.Next()).Take(r.Next(1, 12)).ToList();
        foreach (var pt in payloadTypes)
        {
            media.AddFormat(pt);
        }
        media.SetMid(mid);
        if (r.Next(2) == 0)
        {
            media.SetDirection((SdpDirection)r.Next(4));
        }
        foreach (var pt in payloadTypes.Where(_ => r.Next(4) != 0))
        {
            var map = new SdpRtpMap(pt, Token(r, 1, 8).Replace("/", "", StringComparison.Ordinal), r.Next(1, 200_000), r.Next(3) == 0 ? r.Next(1, 9) : null);
            media.AddRtpMap(map);
            maps.Add(map);
            if (r.Next(2) == 0)
            {
                media.AddFmtp(pt, $"apt={r.Next(128)};x-{Token(r)}={Token(r)}");
            }
            if (r.Next(2) == 0)
            {
                media.AddRtcpFeedback(pt, "nack", r.Next(2) == 0 ? "pli" : null);
            }
        }
        if (r.Next(3) == 0)
        {
            media.AddRtcpFeedback(null, "trr-int", "100");
        }
        var extIds = Enumerable.Range(1, 14).OrderBy(_ => r.Next()).Take(r.Next(0, 5));
        foreach (var id in extIds)
        {
            media.AddExtmap(new SdpExtmap(id, "urn:ietf:params:rtp-hdrext:" + Token(r), r.Next(4) == 0 ? (SdpDirection)r.Next(4) : null));
        }
        if (r.Next(2) == 0)
        {
            uint ssrc = (uint)r.NextInt64(0, uint.MaxValue + 1L);
            uint rtx = (uint)r.NextInt64(0, uint.MaxValue + 1L);
            media.AddSsrcGroup("FID", ssrc, rtx).AddSsrc(ssrc, "cname", Token(r)).AddSsrc(rtx, "msid", Token(r) + " " + Token(r));
            media.SetMsid(new SdpMsid(Token(r), r.Next(2) == 0 ? Token(r) : null));
        }
        if (r.Next(2) == 0)
        {
            media.AddAttribute("rtcp-mux").AddAttribute("rtcp", r.Next(2) == 0 ? "9 IN IP4 0.0.0.0" : r.Next(65536).ToString(CultureInfo.InvariantCulture));
        }
        if (r.Next(2) == 0)
        {
            media.SetIceCredentials(Pick(r, "abcXYZ019+/", r.Next(4, 20)), Pick(r, "abcXYZ019+/", r.Next(22, 40)))
                .AddFingerprint(RandomFingerprint(r))
                .SetSetup((SdpSetup)r.Next(4))
                .AddCandidate(SdpCandidate.Create(r.Next().ToString(CultureInfo.InvariantCulture), 1, "udp", (uint)r.NextInt64(0, uint.MaxValue + 1L), Ip4(r), r.Next(65536), "host"));
        }
        for (var i = r.Next(4); i > 0; i--)
        {
            media.Attributes.Insert(r.Next(media.Attributes.Count + 1), Unknown(r));
        }
        return (media, maps);
    }
}
