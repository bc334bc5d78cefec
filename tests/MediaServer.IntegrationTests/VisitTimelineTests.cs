using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using MediaServer.Codecs.Recording;
using MediaServer.Recording.Journal;
using MediaServer.Testing;
using MediaServer.Testing.Rtp;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests;

/// <summary>
/// The visit timeline through the real server process with real RTP: the seconds it says each party had media (in, out and
/// both ways) agree within 2 s with what the test clients themselves sent and received, and the timeline's entries are in the
/// recording's journal, which still verifies.
/// </summary>
public sealed class VisitTimelineTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task The_timelines_media_seconds_agree_with_the_clients_packets_and_its_entries_are_signed_in_the_journal()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var now = DateTimeOffset.UtcNow;
        var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: now, end: now.AddMinutes(5));
        var kioskSpan = new SendSpan();
        var visitorSpan = new SendSpan();
        await using (var kiosk = new RtpParty("kiosk", 1))
        await using (var visitor = new RtpParty("visitor1", 2))
        {
            // The kiosk sends alone for a while (nobody receives it: no both-ways second for anyone), then the visitor joins
            // and receives; it sends a little later; the kiosk stops and leaves first, the visitor goes on alone.
            var kioskLeg = await server.Api.JoinAsync(visit.KioskToken, visit.Id, kiosk.OfferSdp);
            kiosk.StartSending(kioskLeg.AnswerSdp);
            kioskSpan.Started();
            await SentAsync(kiosk, 90, "three seconds of kiosk video that nobody receives");
            var visitorLeg = await server.Api.JoinAsync(visit.VisitorToken(1), visit.Id, visitor.OfferSdp);
            await visitor.VideoIn.WaitForRtpAsync(90, TimeSpan.FromSeconds(20), "three seconds of kiosk video at the visitor");
            visitor.StartSending(visitorLeg.AnswerSdp);
            visitorSpan.Started();
            await kiosk.VideoIn.WaitForRtpAsync(240, TimeSpan.FromSeconds(30), "eight seconds of visitor video at the kiosk");
            await kiosk.StopSendingAsync();
            kioskSpan.Stopped();
            // And leaves: a kiosk that stays with its leg open and sends nothing for 3 s is reconnecting (media-stalled).
            await server.Api.LeaveAsync(visit.KioskToken, kioskLeg.Location);
            await SentAsync(visitor, visitor.VideoOut!.PacketsSent + 90, "three more seconds of visitor video");
            await visitor.StopSendingAsync();
            visitorSpan.Stopped();
            await server.Api.TerminateAsync(visit.OfficerToken, visit.Id, "timeline test");

            var timeline = await server.Api.GetTimelineAsync(visit.OfficerToken, visit.Id);
            foreach (var entry in timeline.Entries)
            {
                output.WriteLine($"{entry.Seq} {entry.At:HH:mm:ss.fff} {entry.Kind} {entry.Participant} {entry.Cause ?? entry.By ?? ""} {entry.Detail}");
            }
            Check("kiosk", timeline.Party("i1"), kioskSpan, Received(kiosk));
            Check("visitor", timeline.Party("v1"), visitorSpan, Received(visitor));
            Assert.Equal((0, 0), (timeline.Party("i1").Reconnects, timeline.Party("v1").Reconnects));
            foreach (var participant in new[] { "i1", "v1" })
            {
                var kinds = timeline.Of(participant).Select(e => e.Kind).ToList();
                Assert.True(kinds.Contains("token-used") && kinds.Contains("joined") && kinds.Contains("media-in") && kinds.Contains("media-out")
                    && kinds[^1] == "left", $"{participant}: {string.Join(", ", kinds)}");
            }
            Assert.Contains(timeline.Of("i1"), e => e.Kind == "quality" && e.Quality!.BitrateInKbps > 0);

            // The journal holds the same entries, and the recording still verifies.
            var investigator = await server.MintTokenAsync("investigator", "inv-1");
            await Poll.UntilAsync(async () => (await server.Api.SendAsync(HttpMethod.Get, $"api/recordings/{visit.Id}", investigator)).Body,
                body => body.Contains("\"rendered\"", StringComparison.Ordinal) || body.Contains("\"render_failed\"", StringComparison.Ordinal),
                TimeSpan.FromSeconds(240), "the recording to be sealed and rendered", TimeSpan.FromMilliseconds(250));
            var journal = Path.Combine(server.DataDirectory, "recordings", visit.Id, VisitRecorder.JournalFileName);
            var inJournal = TimelineEvents(journal);
            var expected = timeline.Entries.Where(e => e.Seq > 1 && e.Kind != "ended").Select(e => (e.Seq, e.Kind, e.Participant)).ToList();
            Assert.Equal(expected, inJournal.Where(e => expected.Contains(e)).ToList());
            Assert.True(expected.All(inJournal.Contains), "entries missing from the journal: "
                + string.Join(", ", expected.Where(e => !inJournal.Contains(e))));
            Assert.Contains(inJournal, e => e.Kind == "ended");
            var verify = await server.Api.SendAsync(HttpMethod.Get, $"api/recordings/{visit.Id}/verify", investigator);
            Assert.True(verify.Status == HttpStatusCode.OK && JsonDocument.Parse(verify.Body).RootElement.GetProperty("ok").GetBoolean(), $"verify: {verify}");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task After_a_restart_each_party_that_comes_back_is_reconnected_for_a_server_restart(bool kill)
    {
        var server = await ServerProcess.StartAsync(output);
        var root = server.RootDirectory;
        ServerProcess? restarted = null;
        try
        {
            var now = DateTimeOffset.UtcNow;
            var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: now, end: now.AddMinutes(5));
            await using (var kiosk = new RtpParty("kiosk", 1))
            await using (var visitor = new RtpParty("visitor1", 2))
            {
                await visit.JoinAndRelayAsync(kiosk, visitor);
                if (kill)
                {
                    await server.KillAsync();
                }
                else
                {
                    await RestartTests.DrainAsync(server, visit, output);
                }
            }
            restarted = await ServerProcess.StartAsync(output, root, null);
            await using (var kiosk = new RtpParty("kiosk", 1))
            await using (var visitor = new RtpParty("visitor1", 2))
            {
                kiosk.StartSending((await restarted.Api.JoinAsync(visit.KioskToken, visit.Id, kiosk.OfferSdp)).AnswerSdp);
                visitor.StartSending((await restarted.Api.JoinAsync(visit.VisitorToken(1), visit.Id, visitor.OfferSdp)).AnswerSdp);
                var timeline = await Poll.UntilAsync(() => restarted.Api.GetTimelineAsync(visit.OfficerToken, visit.Id),
                    t => t.Of("i1").Any(e => e.Kind == "reconnected") && t.Of("v1").Any(e => e.Kind == "reconnected"),
                    TimeSpan.FromSeconds(30), "both parties back on the timeline", TimeSpan.FromMilliseconds(250));
                foreach (var entry in timeline.Entries.Where(e => e.Kind != "quality"))
                {
                    output.WriteLine($"{entry.Seq} {entry.At:HH:mm:ss.fff} {entry.Kind} {entry.Participant} {entry.Cause ?? entry.By ?? ""} {entry.Seconds} {entry.Detail}");
                }
                foreach (var participant in new[] { "i1", "v1" })
                {
                    var drops = timeline.Of(participant).Where(e => e.Kind is "reconnecting" or "reconnected").Select(e => (e.Kind, e.Cause)).ToList();
                    Assert.Equal([("reconnecting", "server-restart"), ("reconnected", "server-restart")], drops);
                    Assert.Equal((1, false), (timeline.Party(participant).Reconnects, timeline.Party(participant).Reconnecting));
                    Assert.True(timeline.Party(participant).ReconnectSeconds > 0, $"{participant}: {timeline.Party(participant)}");
                    Assert.DoesNotContain(timeline.Of(participant), e => e.Kind == "left");
                }
                Assert.Equal(Enumerable.Range(1, timeline.Entries.Count).Select(n => (long)n), timeline.Entries.Select(e => e.Seq));
            }
        }
        finally
        {
            if (restarted is not null)
            {
                await restarted.DisposeAsync();
            }
            await server.DisposeAsync();
        }
    }

    /// <summary>Within the tolerance: seconds in (what the party sent), out (what it received) and both ways (their overlap).</summary>
    private void Check(string who, TimelinePartyDto party, SendSpan sent, (long First, long Last) received)
    {
        var inSeconds = Stopwatch.GetElapsedTime(sent.From, sent.To).TotalSeconds;
        var outSeconds = Stopwatch.GetElapsedTime(received.First, received.Last).TotalSeconds;
        var both = Math.Max(0, Stopwatch.GetElapsedTime(Math.Max(sent.From, received.First), Math.Min(sent.To, received.Last)).TotalSeconds);
        if (Math.Min(sent.To, received.Last) < Math.Max(sent.From, received.First))
        {
            both = 0;
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"TIMELINE {who}: in {party.MediaInSeconds:0.0} s (client sent {inSeconds:0.0} s), out {party.MediaOutSeconds:0.0} s (client received {outSeconds:0.0} s), both {party.MediaSeconds:0.0} s (client {both:0.0} s)"));
        Assert.InRange(party.MediaInSeconds, inSeconds - Tolerance.TotalSeconds, inSeconds + Tolerance.TotalSeconds);
        Assert.InRange(party.MediaOutSeconds, outSeconds - Tolerance.TotalSeconds, outSeconds + Tolerance.TotalSeconds);
        Assert.InRange(party.MediaSeconds, both - Tolerance.TotalSeconds, both + Tolerance.TotalSeconds);
    }

    private static (long First, long Last) Received(RtpParty party)
    {
        var packets = party.VideoIn.Packets.Concat(party.AudioIn.Packets).ToList();
        Assert.NotEmpty(packets);
        return (packets.Min(p => p.ArrivalTimestamp), packets.Max(p => p.ArrivalTimestamp));
    }

    private static List<(long Seq, string Kind, string? Participant)> TimelineEvents(string journal)
    {
        var events = new List<(long, string, string?)>();
        var scan = JournalScanner.Scan(journal, (in JournalRecord record, long offset) =>
        {
            if (record.Type != JournalRecordType.Event)
            {
                return;
            }
            using var json = JsonDocument.Parse(record.JsonBody.ToArray());
            var root = json.RootElement;
            if (root.GetProperty("event").GetString() == "timeline")
            {
                var entry = root.GetProperty("entry");
                events.Add((entry.GetProperty("seq").GetInt64(), entry.GetProperty("kind").GetString()!,
                    entry.GetProperty("participant").ValueKind == JsonValueKind.String ? entry.GetProperty("participant").GetString() : null));
            }
        });
        Assert.True(scan.Intact && scan.HasEnd, $"the journal is not intact and sealed: {scan}");
        return events;
    }

    /// <summary>Waits until the party has sent <paramref name="packets"/> video packets (30 a second).</summary>
    private static Task SentAsync(RtpParty party, long packets, string what) =>
        Poll.UntilAsync(() => party.VideoOut!.PacketsSent >= packets, TimeSpan.FromSeconds(30), what);

    private sealed class SendSpan
    {
        public long From { get; private set; }
        public long To { get; private set; }

        public void Started() => From = Stopwatch.GetTimestamp();

        public void Stopped() => To = Stopwatch.GetTimestamp();
    }
}
