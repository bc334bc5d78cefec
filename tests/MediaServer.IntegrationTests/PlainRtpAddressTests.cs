using System.Net;
using System.Net.Sockets;
using MediaServer.Recording;
using MediaServer.Recording.Journal;
using MediaServer.Testing;
using MediaServer.Testing.Rtp;
using MediaServer.Testing.Sdp;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests;

/// <summary>
/// Plain RTP is unauthenticated, so the server binds each plain leg to the address its join request came from: nobody else can
/// inject media into a visit (or its recording) by sending first, the server never sends a visit's media to a host named only
/// in an offer, joins from outside MediaServer:Rtp:AllowedNetworks are refused, and oversize datagrams are dropped whole.
/// 127.0.0.2 plays a second host: on Linux all of 127.0.0.0/8 is the loopback interface.
/// </summary>
public sealed class PlainRtpAddressTests(ITestOutputHelper output)
{
    private const byte AttackerFill = 0xEE;
    private const uint AttackerSsrc = 0xA77AC4E5;
    private static readonly IPAddress OtherHost = IPAddress.Parse("127.0.0.2");

    [Fact]
    public async Task A_kiosk_offer_with_c_0_0_0_0_cannot_be_taken_over_by_another_host_sending_first_nor_by_another_port_later()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1);
        await using var kiosk = new RtpParty("kiosk", 1, offerAddress: "0.0.0.0");
        await using var visitor = new RtpParty("visitor1", 2);
        var kioskLeg = await server.Api.JoinAsync(visit.KioskToken, visit.Id, kiosk.OfferSdp);
        var visitorLeg = await server.Api.JoinAsync(visit.VisitorToken(1), visit.Id, visitor.OfferSdp);
        visitor.StartSending(visitorLeg.AnswerSdp);
        var (kioskVideo, kioskAudio) = ServerPorts(kioskLeg.AnswerSdp);
        var before = await server.Api.GetMetricsAsync();

        // Before the kiosk sends anything, another host fires well-formed RTP at both of the kiosk's ports: under the old
        // rule (c=0.0.0.0 lets the first sender latch) this took the kiosk's track and went to the visitor and the journal.
        const int PerBurst = 10;
        await using (var fromOtherHost = new RtpSender(kioskVideo, AttackerSsrc, 96, PortAllocator.FreeClientRtpPair(), 5, OtherHost))
        await using (var audioFromOtherHost = new RtpSender(kioskAudio, AttackerSsrc + 1, 111, PortAllocator.FreeClientRtpPair(), 6, OtherHost))
        {
            for (var i = 0; i < PerBurst; i++)
            {
                fromOtherHost.Send(RtpSender.Vp8Payload(i, fill: AttackerFill), marker: true, 3000);
                audioFromOtherHost.Send(RtpSender.OpusPayload(i, fill: AttackerFill), marker: false, 960);
            }
            await WaitForDropsAsync(server, before, "unknown_source", 2 * PerBurst);

            // Now the kiosk, from the join request's host (its sockets are on 127.0.0.1, at ports it never offered).
            kiosk.StartSending(kioskLeg.AnswerSdp);
            await visitor.VideoIn.WaitForRtpAsync(30, TimeSpan.FromSeconds(10), "kiosk video at visitor1");
            await visitor.AudioIn.WaitForRtpAsync(50, TimeSpan.FromSeconds(10), "kiosk audio at visitor1");

            // After the latch: the other host again, and another port of the kiosk's own host.
            await using var otherPort = new RtpSender(kioskVideo, AttackerSsrc + 2, 96, PortAllocator.FreeClientRtpPair(), 7);
            for (var i = 0; i < PerBurst; i++)
            {
                fromOtherHost.Send(RtpSender.Vp8Payload(PerBurst + i, fill: AttackerFill), marker: true, 3000);
                otherPort.Send(RtpSender.Vp8Payload(i, fill: AttackerFill), marker: true, 3000);
            }
            await WaitForDropsAsync(server, before, "unknown_source", 4 * PerBurst);
        }

        await KioskVideoGoesOnAsync(kiosk, visitor, "kiosk video after the attack");
        Assert.DoesNotContain(visitor.VideoIn.Packets, p => p.Payload.Length > 0 && p.Payload[^1] == AttackerFill);
        Assert.DoesNotContain(visitor.AudioIn.Packets, p => p.Payload.Length > 0 && p.Payload[^1] == AttackerFill);
        Assert.All(visitor.VideoIn.Packets, p => Assert.Equal(kiosk.Fill, p.Payload[^1]));
        Assert.All(visitor.AudioIn.Packets, p => Assert.Equal(kiosk.Fill, p.Payload[^1]));

        // The recording: every file of the sealed recording holds the kiosk's media and nothing of the attacker's.
        await server.Api.TerminateAsync(visit.OfficerToken, visit.Id, "test over");
        var folder = Path.Combine(server.DataDirectory, "recordings", visit.Id);
        var journal = Path.Combine(folder, VisitRecorder.JournalFileName);
        await Poll.UntilAsync(() => Task.FromResult(File.Exists(journal) && JournalScanner.Scan(journal).HasEnd), sealedNow => sealedNow,
            TimeSpan.FromSeconds(30), "the journal to be sealed", TimeSpan.FromMilliseconds(200));
        // Journal segments and whatever else holds packets; not a review copy being rendered (encoded media, not packets).
        var files = Directory.GetFiles(folder, "*", SearchOption.TopDirectoryOnly)
            .Where(f => Path.GetExtension(f) is not (".webm" or ".mp4" or ".mkv" or ".part")).ToList();
        var bytes = files.Select(File.ReadAllBytes).ToList();
        output.WriteLine("recording files: " + string.Join(", ", files.Select(Path.GetFileName)));
        Assert.Contains(bytes, b => Contains(b, Run(kiosk.Fill, 64)));
        Assert.DoesNotContain(bytes, b => Contains(b, Run(AttackerFill, 64)));
        foreach (var ssrc in new[] { AttackerSsrc, AttackerSsrc + 1, AttackerSsrc + 2 })
        {
            Assert.DoesNotContain(bytes, b => Contains(b, BigEndian(ssrc)));
        }
        Assert.Contains(bytes, b => Contains(b, BigEndian(kiosk.VideoSsrc)));
    }

    [Fact]
    public async Task A_visitor_offer_naming_another_host_in_c_sends_nothing_there_the_media_goes_to_the_join_address()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1);
        await using var kiosk = new RtpParty("kiosk", 1);
        // The visitor's offer names 127.0.0.2 (the reflection target) at its ports; the visitor itself is on 127.0.0.1.
        await using var visitor = new RtpParty("visitor1", 2, offerAddress: "127.0.0.2");
        await using var victimVideo = new RtpReceiver(visitor.Offer.Media[0].Port, OtherHost);
        await using var victimAudio = new RtpReceiver(visitor.Offer.Media[1].Port, OtherHost);

        await visit.JoinAndRelayAsync(kiosk, visitor);
        await visitor.AudioIn.WaitForRtpAsync(100, TimeSpan.FromSeconds(10), "kiosk audio at the join address");
        // Long enough for RTCP too: the server's first sender/receiver reports come within a few seconds (RFC 3550 §6.2).
        await Poll.UntilAsync(() => Task.FromResult(visitor.VideoIn.RtcpCount + visitor.AudioIn.RtcpCount), n => n > 0,
            TimeSpan.FromSeconds(15), "the server's RTCP at the join address", TimeSpan.FromMilliseconds(100));

        output.WriteLine(visitor.ToString());
        output.WriteLine($"at 127.0.0.2: video {victimVideo}, audio {victimAudio}");
        Assert.Equal(0, victimVideo.RtpCount + victimVideo.RtcpCount + victimVideo.UnparsableCount);
        Assert.Equal(0, victimAudio.RtpCount + victimAudio.RtcpCount + victimAudio.UnparsableCount);
        Assert.All(visitor.VideoIn.Packets, p => Assert.Equal(kiosk.Fill, p.Payload[^1]));
    }

    [Fact]
    public async Task A_plain_rtp_join_or_tap_from_outside_the_allowed_networks_is_refused_403_audited_and_binds_no_port()
    {
        // Loopback is outside these networks (both entries of the default list are replaced), so every join here is "remote".
        await using var server = await ServerProcess.StartAsync(output, rootDirectory: null, new Dictionary<string, string>
        {
            ["MediaServer__Rtp__AllowedNetworks__0"] = "10.0.0.0/8",
            ["MediaServer__Rtp__AllowedNetworks__1"] = "fd00::/8",
        });
        var visit = await VisitScenario.CreateAsync(server, visitors: 1);
        var offer = new PlainRtpOffer()
            .AddVideo(PortAllocator.FreeClientRtpPair(), MediaDirection.SendRecv, VideoCodec.Vp8)
            .AddAudio(PortAllocator.FreeClientRtpPair())
            .Build();

        var join = await server.Api.JoinRawAsync(visit.KioskToken, visit.Id, offer);
        var tap = await server.Api.TapRawAsync(visit.OfficerToken, visit.Id, offer.Replace("a=sendrecv", "a=recvonly", StringComparison.Ordinal));

        output.WriteLine(join.ToString());
        output.WriteLine(tap.ToString());
        foreach (var response in new[] { join, tap })
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.Status);
            Assert.StartsWith("application/problem+json", response.ContentType, StringComparison.Ordinal);
            Assert.Contains("MediaServer:Rtp:AllowedNetworks", response.Problem!.Detail, StringComparison.Ordinal);
            Assert.Contains("127.0.0.1", response.Problem.Detail, StringComparison.Ordinal);
        }
        var metrics = await server.Api.GetMetricsAsync();
        Assert.Equal(0.0, metrics.Value("mediaserver_rtp_port_pairs_in_use") ?? -1);
        var audit = await server.Api.GetAuditAsync(await server.MintTokenAsync("admin", "admin-1"));
        Assert.Contains(audit, e => e.Action == "visit.join" && e.Actor == "i1" && e.Outcome!.Contains("403", StringComparison.Ordinal));
        Assert.Contains(audit, e => e.Action == "visit.tap" && e.Outcome!.Contains("403", StringComparison.Ordinal));
        Assert.Equal("scheduled", (await visit.GetAsync()).State);
    }

    [Fact]
    public async Task A_3000_byte_datagram_is_dropped_whole_and_counted_as_oversize_on_plain_and_webrtc_ports()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1);
        await using var kiosk = new RtpParty("kiosk", 1);
        await using var visitor = new RtpParty("visitor1", 2);
        await visit.JoinAndRelayAsync(kiosk, visitor);
        var before = await server.Api.GetMetricsAsync();

        // Valid RTP from the kiosk's own latched address and SSRC: cut to 2,048 bytes it would parse and be relayed.
        const int Count = 5;
        const byte OversizeFill = 0xEF;
        var payload = new byte[3000 - 12];
        RtpSender.Vp8Payload(0, fill: OversizeFill).CopyTo(payload, 0);
        Array.Fill(payload, OversizeFill, 400, payload.Length - 400);
        for (var i = 0; i < Count; i++)
        {
            kiosk.VideoOut!.Send(payload, marker: true, 3000);
        }
        using (var toWebRtc = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            var datagram = new byte[3000];
            datagram[0] = 0x80; // looks like RTP/SRTP to the demultiplexer (RFC 7983 §7)
            toWebRtc.SendTo(datagram, new IPEndPoint(IPAddress.Loopback, server.WebRtcPort));
        }

        var after = await WaitForDropsAsync(server, before, "oversize", Count + 1);
        var videoNow = visitor.VideoIn.RtpCount;
        await visitor.VideoIn.WaitForRtpAsync(videoNow + 15, TimeSpan.FromSeconds(10), "kiosk video after the oversize datagrams");
        output.WriteLine(visitor.ToString());
        Assert.Equal(Count + 1.0, Drops(after, "oversize") - Drops(before, "oversize"));
        Assert.DoesNotContain(visitor.VideoIn.Packets, p => p.Payload.Length > 0 && p.Payload[^1] == OversizeFill);
        Assert.DoesNotContain(visitor.VideoIn.Packets, p => p.Payload.Length >= 2048 - 12);
        Assert.Equal(0, visitor.VideoIn.UnparsableCount);
    }

    [Fact]
    public async Task A_symmetric_kiosk_shares_the_servers_ports_with_no_stranger_getting_in_and_a_visitor_on_ports_of_its_own_relays_with_it()
    {
        await using var server = await ServerProcess.StartAsync(output, rootDirectory: null, new Dictionary<string, string>
        {
            ["MediaServer__Rtp__SharedPairs"] = "2",
        });
        var visit = await VisitScenario.CreateAsync(server, visitors: 1);
        await using var kiosk = new RtpParty("kiosk", 1, symmetric: true);
        await using var visitor = new RtpParty("visitor1", 2);

        // Anything but rtp=symmetric is refused before the offer is read.
        var bad = await server.Api.JoinRawAsync(visit.KioskToken, visit.Id, kiosk.OfferSdp, query: "?rtp=asymmetric");
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);

        var before = await server.Api.GetMetricsAsync();
        var kioskLeg = await server.Api.JoinAsync(visit.KioskToken, visit.Id, kiosk.OfferSdp, query: "?rtp=symmetric");
        var visitorLeg = await server.Api.JoinAsync(visit.VisitorToken(1), visit.Id, visitor.OfferSdp);
        var (kioskVideo, kioskAudio) = ServerPorts(kioskLeg.AnswerSdp);
        var (visitorVideo, visitorAudio) = ServerPorts(visitorLeg.AnswerSdp);
        // The kiosk's two m-lines are on the two shared pairs bound at start; the visitor (not symmetric) took two pairs of its own.
        var metrics = await server.Api.GetMetricsAsync();
        Assert.Equal(4, metrics.Value("mediaserver_rtp_port_pairs_in_use"));
        Assert.NotEqual(kioskVideo.Port, kioskAudio.Port);
        Assert.DoesNotContain(visitorVideo.Port, new[] { kioskVideo.Port, kioskAudio.Port });
        Assert.DoesNotContain(visitorAudio.Port, new[] { kioskVideo.Port, kioskAudio.Port });

        kiosk.StartSending(kioskLeg.AnswerSdp);
        visitor.StartSending(visitorLeg.AnswerSdp);
        await visitor.VideoIn.WaitForRtpAsync(30, TimeSpan.FromSeconds(10), "kiosk video at visitor1");
        await visitor.AudioIn.WaitForRtpAsync(50, TimeSpan.FromSeconds(10), "kiosk audio at visitor1");
        await kiosk.VideoIn.WaitForRtpAsync(30, TimeSpan.FromSeconds(10), "visitor1 video at the kiosk");
        await kiosk.AudioIn.WaitForRtpAsync(50, TimeSpan.FromSeconds(10), "visitor1 audio at the kiosk");
        // What the kiosk receives comes from the shared ports it sends to (symmetric RTP both ways).
        Assert.All(kiosk.VideoIn.Packets, p => Assert.Equal(kioskVideo.Port, p.From.Port));
        Assert.All(kiosk.AudioIn.Packets, p => Assert.Equal(kioskAudio.Port, p.From.Port));

        // Strangers at the shared ports: another host, and another port of the kiosk's own host (its old source ports).
        const int PerBurst = 10;
        await using (var fromOtherHost = new RtpSender(kioskVideo, AttackerSsrc, 96, PortAllocator.FreeClientRtpPair(), 5, OtherHost))
        await using (var otherPort = new RtpSender(kioskAudio, AttackerSsrc + 1, 111, kiosk.AudioSourcePort, 6))
        {
            for (var i = 0; i < PerBurst; i++)
            {
                fromOtherHost.Send(RtpSender.Vp8Payload(i, fill: AttackerFill), marker: true, 3000);
                otherPort.Send(RtpSender.OpusPayload(i, fill: AttackerFill), marker: false, 960);
            }
            await WaitForDropsAsync(server, before, "unknown_source", 2 * PerBurst);
        }
        await KioskVideoGoesOnAsync(kiosk, visitor, "kiosk video after the strangers");
        Assert.All(visitor.VideoIn.Packets, p => Assert.Equal(kiosk.Fill, p.Payload[^1]));
        Assert.All(visitor.AudioIn.Packets, p => Assert.Equal(kiosk.Fill, p.Payload[^1]));
        Assert.All(kiosk.VideoIn.Packets, p => Assert.Equal(visitor.Fill, p.Payload[^1]));

        // The recording holds the kiosk's media from the shared ports and nothing of the strangers'.
        await server.Api.TerminateAsync(visit.OfficerToken, visit.Id, "test over");
        var journal = Path.Combine(server.DataDirectory, "recordings", visit.Id, VisitRecorder.JournalFileName);
        await Poll.UntilAsync(() => Task.FromResult(File.Exists(journal) && JournalScanner.Scan(journal).HasEnd), sealedNow => sealedNow,
            TimeSpan.FromSeconds(30), "the journal to be sealed", TimeSpan.FromMilliseconds(200));
        var bytes = await File.ReadAllBytesAsync(journal);
        Assert.True(Contains(bytes, BigEndian(kiosk.VideoSsrc)) && Contains(bytes, BigEndian(kiosk.AudioSsrc)), "the kiosk's tracks are not in the journal");
        Assert.True(Contains(bytes, Run(kiosk.Fill, 64)), "the kiosk's video payload is not in the journal");
        Assert.False(Contains(bytes, Run(AttackerFill, 64)), "a stranger's payload is in the journal");
        Assert.False(Contains(bytes, BigEndian(AttackerSsrc)) || Contains(bytes, BigEndian(AttackerSsrc + 1)), "a stranger's SSRC is in the journal");

        // Leaving frees the kiosk's places on the shared pairs; the pairs themselves stay bound for the next symmetric client.
        await Poll.UntilAsync(server.Api.GetMetricsAsync, m => m.Value("mediaserver_rtp_port_pairs_in_use") == 2, TimeSpan.FromSeconds(10),
            "only the shared pairs bound after the visit", TimeSpan.FromMilliseconds(100));
    }

    /// <summary>Waits for 15 more of the kiosk's video packets at the visitor, then logs both parties' counts.</summary>
    private async Task KioskVideoGoesOnAsync(RtpParty kiosk, RtpParty visitor, string what)
    {
        await visitor.VideoIn.WaitForRtpAsync(visitor.VideoIn.RtpCount + 15, TimeSpan.FromSeconds(10), what);
        output.WriteLine(kiosk.ToString());
        output.WriteLine(visitor.ToString());
    }

    private static (IPEndPoint Video, IPEndPoint Audio) ServerPorts(string answerSdp)
    {
        var answer = SdpDescription.Parse(answerSdp);
        var video = answer.Media.First(m => m.Kind == "video");
        var audio = answer.Media.First(m => m.Kind == "audio");
        return (new IPEndPoint(IPAddress.Parse(video.ConnectionAddress ?? "127.0.0.1"), video.Port),
            new IPEndPoint(IPAddress.Parse(audio.ConnectionAddress ?? "127.0.0.1"), audio.Port));
    }

    private static Task<MetricsSnapshot> WaitForDropsAsync(ServerProcess server, MetricsSnapshot before, string reason, int atLeast) =>
        Poll.UntilAsync(server.Api.GetMetricsAsync, m => Drops(m, reason) - Drops(before, reason) >= atLeast, TimeSpan.FromSeconds(10),
            $"{atLeast} more drops{{reason={reason}}}", TimeSpan.FromMilliseconds(100));

    private static double Drops(MetricsSnapshot metrics, string reason) =>
        metrics.Counter("mediaserver_drops_total", ("reason", reason));

    private static byte[] Run(byte value, int length)
    {
        var run = new byte[length];
        Array.Fill(run, value);
        return run;
    }

    private static byte[] BigEndian(uint value) => [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
