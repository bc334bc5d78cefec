using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using MediaServer.Codecs.Rtcp;
using MediaServer.IntegrationTests.Harness;
using MediaServer.Testing;
using MediaServer.Testing.Rtp;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests;

/// <summary>
/// Officers' plain-RTP taps (issue 5, docs/api.md taps): a tap receives every party's video and audio, the participants see
/// nothing of it, many taps do not take from the participants, and every tap closes with the visit.
/// </summary>
[Collection(FfmpegMediaCollection.Name)]
public sealed class TapTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CloseWithin = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_plain_rtp_tap_gets_every_party_and_the_participants_see_no_new_source()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1);
        await using var kiosk = new RtpParty("kiosk", 1);
        await using var visitor = new RtpParty("visitor1", 2);
        await JoinAndRelayAsync(server, visit, kiosk, visitor);
        // Let each participant get a round of the server's reports (about once a second) before the tap.
        await Poll.UntilAsync(() => kiosk.VideoIn.RtcpCount >= 2 && visitor.VideoIn.RtcpCount >= 2, TimeSpan.FromSeconds(10), "server RTCP at both parties");
        var participantsBefore = Describe(await visit.GetAsync());
        var sourcesBefore = Sources(kiosk, visitor);
        output.WriteLine($"before the tap: {participantsBefore}; sources {string.Join(",", sourcesBefore.Select(s => s.ToString("X8")))}");

        await using var tap = new RtpTap(parties: 2);
        var opened = Stopwatch.GetTimestamp();
        var answer = await server.Api.TapAsync(visit.OfficerToken, visit.Id, tap.OfferSdp);
        var answered = Stopwatch.GetTimestamp();
        tap.Location = answer.Location;
        Assert.Matches($"^/api/visits/{visit.Id}/taps/[0-9a-f]+$", answer.Location);
        Assert.Equal(4, answer.AnswerSdp.Split('\n').Count(l => l.StartsWith("a=sendonly", StringComparison.Ordinal)));
        foreach (var receiver in tap.All)
        {
            await receiver.WaitForRtpAsync(30, TimeSpan.FromSeconds(10), "tap slot");
        }
        var firstVideo = tap.Video.Select(r => Stopwatch.GetElapsedTime(answered, r.Packets[0].ArrivalTimestamp).TotalMilliseconds).ToList();
        output.WriteLine($"tap answered in {Stopwatch.GetElapsedTime(opened, answered).TotalMilliseconds:0} ms; first video packet per slot "
            + $"{string.Join(", ", firstVideo.Select(ms => $"{ms:0} ms"))} after the answer");
        // Slot order (docs/api.md): the kiosk first, then visitors in join order; each slot carries that party's own packets.
        Checks.All(
            ("tap video slot 0 carries the kiosk", () => AssertCarries(tap.Video[0], kiosk)),
            ("tap audio slot 0 carries the kiosk", () => AssertCarries(tap.Audio[0], kiosk)),
            ("tap video slot 1 carries visitor1", () => AssertCarries(tap.Video[1], visitor)),
            ("tap audio slot 1 carries visitor1", () => AssertCarries(tap.Audio[1], visitor)));

        // Another round of reports with the tap open: the participants see the same sources, and the same participants.
        var rtcpWithTap = kiosk.VideoIn.RtcpCount + visitor.VideoIn.RtcpCount;
        await Poll.UntilAsync(() => kiosk.VideoIn.RtcpCount + visitor.VideoIn.RtcpCount >= rtcpWithTap + 4, TimeSpan.FromSeconds(10), "server RTCP with the tap open");
        var sourcesWithTap = Sources(kiosk, visitor);
        Assert.True(sourcesWithTap.SetEquals(sourcesBefore),
            $"participants saw sources {string.Join(",", sourcesWithTap.Select(s => s.ToString("X8")))} with the tap, {string.Join(",", sourcesBefore.Select(s => s.ToString("X8")))} before");
        Assert.Equal(participantsBefore, Describe(await visit.GetAsync()));
        var metrics = await server.Api.GetMetricsAsync();
        Assert.True(metrics.Value("mediaserver_taps") == 1, $"expected one open tap:\n{metrics.Text}");
        Assert.True(metrics.Value("mediaserver_legs") == 2, $"a tap is not a leg:\n{metrics.Text}");

        // The officer ends the tap (RFC 9725 §4.3): 204, nothing more arrives, and a second DELETE finds nothing.
        var deleted = await server.Api.SendAsync(HttpMethod.Delete, answer.Location.TrimStart('/'), visit.OfficerToken);
        var deletedAt = Stopwatch.GetTimestamp();
        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);
        var countAtDelete = tap.RtpCount;
        await visitor.VideoIn.WaitForRtpAsync(visitor.VideoIn.RtpCount + 45, TimeSpan.FromSeconds(10), "the visit going on after the tap");
        Assert.True(tap.LastArrival < deletedAt + ToTicks(CloseWithin), $"the tap still received after DELETE: {tap}");
        Assert.True(tap.RtpCount - countAtDelete < 100, $"{tap.RtpCount - countAtDelete} packets after DELETE");
        var again = await server.Api.SendAsync(HttpMethod.Delete, answer.Location.TrimStart('/'), visit.OfficerToken);
        Assert.Equal(HttpStatusCode.NotFound, again.Status);
        Assert.True((await server.Api.GetMetricsAsync()).Value("mediaserver_taps") == 0, "the tap is still counted");

        var audit = await server.Api.GetAuditAsync(await server.MintTokenAsync("admin", "ops"));
        var tapId = answer.Location[(answer.Location.LastIndexOf('/') + 1)..];
        Assert.Contains(audit, e => e.Action == "visit.tap" && e.Actor == "officer-1" && e.Role == "officer"
            && e.Target == $"visit/{visit.Id}/taps/{tapId}" && e.Outcome == "ok: rtp");
        Assert.Contains(audit, e => e.Action == "visit.tap.stop" && e.Actor == "officer-1" && e.Target == $"visit/{visit.Id}/taps/{tapId}" && e.Outcome == "ok");
    }

    [Fact]
    public async Task Twenty_taps_do_not_reduce_what_the_participants_receive_and_all_close_within_a_second_of_terminate()
    {
        const int Taps = 20;
        var window = TimeSpan.FromSeconds(4);
        // A load test of the relay: the caps on taps per visit and per officer (4 each by default; ResourceBoundsTests) are
        // raised so one officer can open twenty.
        await using var server = await ServerProcess.StartAsync(output, rootDirectory: null, new Dictionary<string, string>
        {
            ["MediaServer__Limits__MaxTapsPerVisit"] = Taps.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["MediaServer__Limits__MaxTapsPerOfficer"] = Taps.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var visit = await VisitScenario.CreateAsync(server, visitors: 1);
        await using var kiosk = new RtpParty("kiosk", 1);
        await using var visitor = new RtpParty("visitor1", 2);
        await JoinAndRelayAsync(server, visit, kiosk, visitor);

        var without = await MeasureAsync(kiosk, visitor, window);
        var taps = new List<RtpTap>();
        try
        {
            for (var i = 0; i < Taps; i++)
            {
                var tap = new RtpTap(parties: 2);
                taps.Add(tap);
                tap.Location = (await server.Api.TapAsync(visit.OfficerToken, visit.Id, tap.OfferSdp)).Location;
            }
            foreach (var tap in taps)
            {
                foreach (var receiver in tap.All)
                {
                    await receiver.WaitForRtpAsync(10, TimeSpan.FromSeconds(15), "every tap slot");
                }
            }
            Assert.True((await server.Api.GetMetricsAsync()).Value("mediaserver_taps") == Taps, "not every tap is counted");

            var with = await MeasureAsync(kiosk, visitor, window);
            output.WriteLine($"participants over {window.TotalSeconds:0} s: without taps {without}; with {Taps} taps {with}");
            var tapPackets = taps.Sum(t => t.RtpCount);
            output.WriteLine($"the {Taps} taps received {tapPackets} RTP packets in all");
            // Each participant receives the other's 80 packets/s: with 20 taps it gets as large a share of what was sent.
            Assert.True(with.Received >= with.Sent * 0.99, $"with {Taps} taps the participants received {with}");
            Assert.True(with.ReceivedRatio >= without.ReceivedRatio - 0.01, $"without taps {without}, with {Taps} taps {with}");

            // Terminate with every tap open: nothing reaches any tap a second after the officer asked.
            var asked = Stopwatch.GetTimestamp();
            await server.Api.TerminateAsync(visit.OfficerToken, visit.Id, "integration test: terminate with taps");
            var returned = Stopwatch.GetTimestamp();
            await Task.Delay(CloseWithin + TimeSpan.FromMilliseconds(500)); // an observation window: silence is the assertion
            var lastTap = taps.Max(t => t.LastArrival);
            output.WriteLine($"terminate took {Stopwatch.GetElapsedTime(asked, returned).TotalMilliseconds:0} ms; the last tap packet came "
                + $"{Stopwatch.GetElapsedTime(asked, lastTap).TotalMilliseconds:0} ms after it was asked");
            Assert.True(lastTap < asked + ToTicks(CloseWithin), "a tap still received more than a second after terminate was asked");
            Assert.True((await server.Api.GetMetricsAsync()).Value("mediaserver_taps") == 0, "taps still open after terminate");
            var audit = await server.Api.GetAuditAsync(await server.MintTokenAsync("admin", "ops"));
            Assert.Equal(Taps, audit.Count(e => e.Action == "visit.tap.stop" && e.Actor == "officer-1"
                && e.Outcome?.StartsWith("closed: visit terminated", StringComparison.Ordinal) == true));
            await using var lateTap = new RtpTap(parties: 1);
            var late = await server.Api.TapRawAsync(visit.OfficerToken, visit.Id, lateTap.OfferSdp);
            Assert.True(late.Status == HttpStatusCode.Gone, $"tapping a terminated visit: expected 410, got {late}");
        }
        finally
        {
            foreach (var tap in taps)
            {
                await tap.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_privileged_visit_cannot_be_tapped_and_the_attempt_is_audited_with_the_officer()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var officer = await server.MintTokenAsync("officer", "officer-9");
        var now = DateTimeOffset.UtcNow;
        var request = CreateVisitRequest.For(1, now.AddMinutes(1), now.AddMinutes(10)) with { Privileged = true };
        var visit = await server.Api.CreateVisitAsync(officer, request);
        await using var tap = new RtpTap(parties: 2);

        var refused = await server.Api.TapRawAsync(officer, visit.Id, tap.OfferSdp);

        Assert.True(refused.Status == HttpStatusCode.Forbidden, $"expected 403, got {refused}");
        Assert.Equal(403, refused.Problem?.Status);
        var audit = await server.Api.GetAuditAsync(await server.MintTokenAsync("admin", "ops"));
        Assert.Contains(audit, e => e.Action == "visit.tap" && e.Actor == "officer-9" && e.Role == "officer"
            && e.Target == "visit/" + visit.Id && e.Outcome == "refused: privileged visit");
        Assert.True((await server.Api.GetMetricsAsync()).Value("mediaserver_taps") == 0, "a refused tap is counted");
        // Not an officer: refused by role, and audited too.
        // Officers cannot mint participant tokens of a privileged visit; the scheduling system can.
        var scheduler = await server.MintTokenAsync("scheduler", "scheduling-system");
        var visitorToken = (await server.Api.MintParticipantTokenAsync(scheduler, visit.Id, "v1")).Token;
        var byVisitor = await server.Api.TapRawAsync(visitorToken, visit.Id, tap.OfferSdp);
        Assert.Equal(HttpStatusCode.Forbidden, byVisitor.Status);
        // A flag is metadata, not media: allowed on a privileged visit.
        var flag = await server.Api.FlagAsync(officer, visit.Id, "attorney arrived late");
        Assert.Equal("officer-9", flag.By);
    }

    [Fact]
    public async Task Flags_are_stored_listed_with_the_visit_and_audited()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1);
        var before = DateTimeOffset.UtcNow;

        var first = await server.Api.FlagAsync(visit.OfficerToken, visit.Id, "passing something to the camera");
        var second = await server.Api.FlagAsync(visit.OfficerToken, visit.Id, "second look");

        Assert.Equal("officer-1", first.By);
        Assert.Equal("passing something to the camera", first.Note);
        Assert.InRange(first.At, before.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1));
        var listed = (await visit.GetAsync()).Flags;
        Assert.NotNull(listed);
        Assert.Equal([first.Note, second.Note], listed.Select(f => f.Note));
        Assert.Equal(first.At, listed[0].At);
        var empty = await server.Api.FlagRawAsync(visit.OfficerToken, visit.Id, "  ");
        Assert.True(empty.Status == HttpStatusCode.BadRequest, $"an empty note: expected 400, got {empty}");
        var missing = await server.Api.FlagRawAsync(visit.OfficerToken, "v-000000000000", "x");
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        var byAdmin = await server.Api.FlagRawAsync(await server.MintTokenAsync("admin", "ops"), visit.Id, "x");
        Assert.Equal(HttpStatusCode.Forbidden, byAdmin.Status);
        var audit = await server.Api.GetAuditAsync(await server.MintTokenAsync("admin", "ops"));
        Assert.Equal(2, audit.Count(e => e.Action == "visit.flag" && e.Actor == "officer-1" && e.Role == "officer"
            && e.Target == "visit/" + visit.Id && e.Outcome?.StartsWith("ok", StringComparison.Ordinal) == true));
        Assert.True((await server.Api.VerifyAuditAsync(await server.MintTokenAsync("admin", "ops"))).Ok);
    }

    private sealed record Window(long Sent, long Received)
    {
        public double ReceivedRatio => Sent == 0 ? 0 : (double)Received / Sent;

        public override string ToString() => $"sent {Sent}, received {Received} ({ReceivedRatio:P2})";
    }

    /// <summary>What both participants sent and received over one window (each receives what the other sends).</summary>
    private static async Task<Window> MeasureAsync(RtpParty kiosk, RtpParty visitor, TimeSpan window)
    {
        static long Sent(RtpParty p) => p.VideoOut!.PacketsSent + p.AudioOut!.PacketsSent;
        static long Received(RtpParty p) => p.VideoIn.RtpCount + p.AudioIn.RtpCount;
        var sent0 = Sent(kiosk) + Sent(visitor);
        var received0 = Received(kiosk) + Received(visitor);
        await Task.Delay(window); // the measuring window itself
        // Packets in flight at the end of the window arrive within milliseconds on loopback; count them with the window.
        var sent1 = Sent(kiosk) + Sent(visitor);
        await Task.Delay(50);
        return new Window(sent1 - sent0, Received(kiosk) + Received(visitor) - received0);
    }

    private static void AssertCarries(RtpReceiver receiver, RtpParty party)
    {
        var packets = receiver.Packets;
        Assert.NotEmpty(packets);
        Assert.All(packets, p => Assert.Equal(party.Fill, p.Payload[^1]));
        Assert.Single(packets.Select(p => p.Header.Ssrc).Distinct());
    }

    /// <summary>Every SSRC a participant's RTP and RTCP names: senders of packets, and sources in report blocks.</summary>
    private static HashSet<uint> Sources(params RtpParty[] parties)
    {
        var sources = new HashSet<uint>();
        foreach (var party in parties)
        {
            foreach (var receiver in new[] { party.VideoIn, party.AudioIn })
            {
                foreach (var packet in receiver.Packets)
                {
                    sources.Add(packet.Header.Ssrc);
                }
                foreach (var datagram in receiver.RtcpDatagrams)
                {
                    var reader = new RtcpCompoundReader(datagram);
                    while (reader.MoveNext())
                    {
                        var span = reader.Current.Span;
                        if (span.Length >= 8)
                        {
                            sources.Add(BinaryPrimitives.ReadUInt32BigEndian(span[4..]));
                        }
                        if (RtcpSenderReport.TryParse(span, out var sr))
                        {
                            for (var i = 0; i < sr.ReportCount; i++)
                            {
                                sources.Add(sr.GetReportBlock(i).Ssrc);
                            }
                        }
                        else if (RtcpReceiverReport.TryParse(span, out var rr))
                        {
                            for (var i = 0; i < rr.ReportCount; i++)
                            {
                                sources.Add(rr.GetReportBlock(i).Ssrc);
                            }
                        }
                    }
                }
            }
        }
        return sources;
    }

    private static string Describe(VisitDto visit) =>
        string.Join(";", visit.Participants.Select(p => $"{p.Id}/{p.Role}"));

    private static async Task JoinAndRelayAsync(ServerProcess server, VisitScenario visit, RtpParty kiosk, RtpParty visitor)
    {
        var kioskLeg = await server.Api.JoinAsync(visit.KioskToken, visit.Id, kiosk.OfferSdp);
        var visitorLeg = await server.Api.JoinAsync(visit.VisitorToken(1), visit.Id, visitor.OfferSdp);
        kiosk.StartSending(kioskLeg.AnswerSdp);
        visitor.StartSending(visitorLeg.AnswerSdp);
        await visitor.VideoIn.WaitForRtpAsync(30, TimeSpan.FromSeconds(10), "kiosk video at visitor1");
        await kiosk.VideoIn.WaitForRtpAsync(30, TimeSpan.FromSeconds(10), "visitor1 video at kiosk");
    }

    private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
