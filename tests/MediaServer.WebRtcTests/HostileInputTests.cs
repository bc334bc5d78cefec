using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using MediaServer.Testing;
using MediaServer.Testing.WebRtc;
using MediaServer.WebRtcTests.Harness;
using Xunit.Abstractions;

namespace MediaServer.WebRtcTests;

/// <summary>
/// Bad input through the real server while a real visit relays (Chromium kiosk and visitor): each is dropped or refused and
/// counted in /metrics, and the other legs carry on.
/// </summary>
public sealed partial class HostileInputTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Connect = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Media = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Replayed_and_forged_srtp_and_a_flood_of_client_hellos_are_dropped_and_counted_while_the_visit_goes_on()
    {
        await using var scenario = await Scenario.StartAsync(output);
        var proxy = scenario.Own(new UdpImpairmentProxy(scenario.Server.WebRtcPort, TestSeed.Value));
        var visit = await scenario.Api.CreateVisitAsync(visitors: 1);
        var kiosk = await scenario.OpenVisitAsync(visit.KioskToken, "kiosk");
        var visitor = await scenario.OpenVisitThroughAsync(proxy, visit.VisitorTokens[0], "visitor");
        await kiosk.WaitForStateAsync("connected", Connect);
        await visitor.WaitForStateAsync("connected", Connect);
        await kiosk.WaitForFramesAsync(10, Media);
        await visitor.WaitForFramesAsync(10, Media);

        // (a) From the visitor's own 5-tuple: 20 packets sent twice (RFC 3711 §3.3.2 replay list) and 20 forged copies sent
        // ahead of the real packets (new index, broken tag: §3.3 step 5).
        const int Tampered = 20;
        var replayBefore = await scenario.MetricAsync("""mediaserver_drops_total{reason="srtp_replay"}""");
        var authBefore = await scenario.MetricAsync("""mediaserver_drops_total{reason="srtp_auth"}""");
        var kioskFrames = (await kiosk.StatsAsync())!.FramesDecoded;
        var visitorFrames = (await visitor.StatsAsync())!.FramesDecoded;
        proxy.ReplayNext(Tampered);
        proxy.ForgeNext(Tampered);
        await Poll.UntilAsync(() => Task.FromResult((proxy.Replayed, proxy.Forged)), t => t.Replayed >= Tampered && t.Forged >= Tampered,
            Media, "the proxy to replay and forge the visitor's packets");
        var replayed = await Poll.UntilAsync(
            async () => await scenario.MetricAsync("""mediaserver_drops_total{reason="srtp_replay"}""") - replayBefore,
            n => n >= Tampered, Media, $"{Tampered} srtp_replay drops");
        var forged = await Poll.UntilAsync(
            async () => await scenario.MetricAsync("""mediaserver_drops_total{reason="srtp_auth"}""") - authBefore,
            n => n >= Tampered, Media, $"{Tampered} srtp_auth drops");
        // The tampered leg's real packets still reach the kiosk, and the visitor still receives.
        await kiosk.WaitForFramesAsync(kioskFrames + 30, Media);
        await visitor.WaitForFramesAsync(visitorFrames + 30, Media);
        scenario.Log($"replayed {proxy.Replayed}, forged {proxy.Forged}: srtp_replay +{replayed}, srtp_auth +{forged}; "
            + "both pages decoded 30 more frames");

        // (b) 200 DTLS ClientHellos (RFC 6347 §4.2.2), each from its own source port no ICE check has bound.
        const int Hellos = 200;
        var notConnectedBefore = await scenario.MetricAsync("""mediaserver_drops_total{reason="not_connected"}""");
        kioskFrames = (await kiosk.StatsAsync())!.FramesDecoded;
        visitorFrames = (await visitor.StatsAsync())!.FramesDecoded;
        var random = new Random(TestSeed.Value);
        var server = new IPEndPoint(IPAddress.Loopback, scenario.Server.WebRtcPort);
        for (var i = 0; i < Hellos; i++)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            await socket.SendToAsync(ClientHello(random), SocketFlags.None, server);
        }
        var refused = await Poll.UntilAsync(
            async () => await scenario.MetricAsync("""mediaserver_drops_total{reason="not_connected"}""") - notConnectedBefore,
            n => n >= Hellos, Media, $"{Hellos} ClientHellos counted as not_connected");
        await kiosk.WaitForFramesAsync(kioskFrames + 30, Media);
        await visitor.WaitForFramesAsync(visitorFrames + 30, Media);
        using (var health = await scenario.Server.Http.GetAsync("/healthz"))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        Assert.Equal(2, await scenario.MetricAsync("mediaserver_legs"));
        scenario.Log($"{Hellos} ClientHellos: not_connected +{refused}; the visit went on and /healthz is 200");
        ChromiumInteropTests.AssertNoScriptErrors(kiosk);
        ChromiumInteropTests.AssertNoScriptErrors(visitor);
    }

    [Fact]
    public async Task A_join_whose_fingerprint_is_not_the_browsers_certificate_is_refused_and_counted_while_the_others_go_on()
    {
        await using var scenario = await Scenario.StartAsync(output);
        var visit = await scenario.Api.CreateVisitAsync(visitors: 2);
        var kiosk = await scenario.OpenVisitAsync(visit.KioskToken, "kiosk");
        var visitor = await scenario.OpenVisitAsync(visit.VisitorTokens[0], "visitor1");
        await kiosk.WaitForStateAsync("connected", Connect);
        await visitor.WaitForStateAsync("connected", Connect);
        await kiosk.WaitForFramesAsync(10, Media);
        await visitor.WaitForFramesAsync(10, Media);
        var refusedBefore = await scenario.MetricAsync("""mediaserver_drops_total{reason="dtls_refused"}""");

        // The second visitor's offer names a certificate it does not have (RFC 8122 §5: the fingerprint must match).
        string? posted = null;
        var impostor = await scenario.OpenVisitAsync(visit.VisitorTokens[1], "visitor2", page => page.RouteAsync("**/api/visits/*/join",
            async route =>
            {
                posted = MungeFingerprints(route.Request.PostData ?? "");
                await route.ContinueAsync(new Microsoft.Playwright.RouteContinueOptions { PostData = Encoding.UTF8.GetBytes(posted) });
            }));
        var kioskFrames = (await kiosk.StatsAsync())!.FramesDecoded;
        var visitorFrames = (await visitor.StatsAsync())!.FramesDecoded;
        await impostor.WaitForStateAsync("ended", Connect);
        Assert.StartsWith("Could not connect to the visit", await impostor.EndedTextAsync(), StringComparison.Ordinal);
        Assert.Contains("a=fingerprint:", posted, StringComparison.Ordinal);
        var refused = await Poll.UntilAsync(
            async () => await scenario.MetricAsync("""mediaserver_drops_total{reason="dtls_refused"}""") - refusedBefore,
            n => n >= 1, Media, "the refused handshake to be counted as dtls_refused");
        await Poll.UntilAsync(() => scenario.MetricAsync("mediaserver_legs"), n => n == 2, Media, "the refused leg to be closed");
        var stats = await impostor.StatsAsync();
        Assert.True(stats is null || stats.FramesDecoded == 0, $"the impostor decoded media: {stats?.FramesDecoded}");

        await kiosk.WaitForFramesAsync(kioskFrames + 30, Media);
        await visitor.WaitForFramesAsync(visitorFrames + 30, Media);
        scenario.Log($"wrong fingerprint: dtls_refused +{refused}, legs back to 2, the kiosk and the first visitor went on; "
            + "server view: " + await scenario.Api.DescribeAsync(visit.Id));
    }

    [Fact]
    public async Task An_offer_with_500_m_lines_is_refused_with_400_and_the_server_stays_healthy()
    {
        await using var scenario = await Scenario.StartAsync(output);
        var visit = await scenario.Api.CreateVisitAsync(visitors: 1);
        // ICE and DTLS at session level keep 500 m-lines under the 64 KiB offer limit (a bigger body is refused with 413 first).
        var offer = new StringBuilder("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nc=IN IP4 0.0.0.0\r\n")
            .Append("a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijklmn\r\n")
            .Append("a=fingerprint:sha-256 ").Append(string.Join(':', Enumerable.Repeat("AB", 32))).Append("\r\na=setup:actpass\r\n");
        for (var i = 0; i < 500; i++)
        {
            offer.Append("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:").Append(i).Append("\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n");
        }
        Assert.True(offer.Length < 64 * 1024, $"{offer.Length} bytes");

        var result = await scenario.Api.JoinAsync(visit.Id, visit.VisitorTokens[0], offer.ToString());

        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        Assert.Contains("too many media descriptions", result.Body, StringComparison.Ordinal);
        Assert.Equal(0, await scenario.MetricAsync("mediaserver_legs"));
        using var health = await scenario.Server.Http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    /// <summary>Flips the first byte of every a=fingerprint in the offer (the same certificate is named on each m-line).</summary>
    private static string MungeFingerprints(string offer) =>
        Fingerprint().Replace(offer, m => m.Groups[1].Value + (m.Groups[2].Value == "00" ? "FF" : "00") + m.Groups[3].Value);

    [GeneratedRegex(@"(a=fingerprint:\S+ )([0-9A-Fa-f]{2})(:)")]
    private static partial Regex Fingerprint();

    /// <summary>A DTLS 1.2 ClientHello with use_srtp (RFC 6347 §4.2.2, RFC 5764 §4.1.1) in one record, cookie empty.</summary>
    private static byte[] ClientHello(Random random)
    {
        var body = new List<byte> { 0xFE, 0xFD };
        var clientRandom = new byte[32];
        random.NextBytes(clientRandom);
        body.AddRange(clientRandom);
        body.Add(0); // session_id
        body.Add(0); // cookie
        body.AddRange([0x00, 0x02, 0xC0, 0x2B]); // TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
        body.AddRange([0x01, 0x00]); // null compression
        byte[] useSrtp = [0x00, 0x0E, 0x00, 0x05, 0x00, 0x02, 0x00, 0x01, 0x00];
        body.AddRange([0x00, (byte)useSrtp.Length]);
        body.AddRange(useSrtp);
        var length = body.Count;
        var handshake = new List<byte> { 0x01, 0, (byte)(length >> 8), (byte)length, 0, 0, 0, 0, 0, 0, (byte)(length >> 8), (byte)length };
        handshake.AddRange(body);
        var record = new List<byte> { 0x16, 0xFE, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, (byte)(handshake.Count >> 8), (byte)handshake.Count };
        record.AddRange(handshake);
        return [.. record];
    }
}
