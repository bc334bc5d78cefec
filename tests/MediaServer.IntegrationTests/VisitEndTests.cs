using System.Diagnostics;
using System.Net;
using MediaServer.Testing;
using MediaServer.Testing.Rtp;
using MediaServer.Testing.Sdp;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests;

/// <summary>
/// A visit that an officer terminates, or whose scheduled end passes, stops relaying to every leg within a second,
/// even while the clients keep sending; the visit and its connections show it, and nobody can join again.
/// </summary>
public sealed class VisitEndTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CloseWithin = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Watch = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Terminate_stops_every_leg_within_a_second_and_later_joins_are_410()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1);
        await using var kiosk = new RtpParty("kiosk", 1);
        await using var visitor = new RtpParty("visitor1", 2);
        await JoinAndRelayAsync(visit, kiosk, visitor);

        var terminated = await server.Api.TerminateAsync(visit.OfficerToken, visit.Id, "integration test: terminate");
        var returnedAt = Stopwatch.GetTimestamp();
        var sentBefore = kiosk.VideoOut!.PacketsSent + visitor.VideoOut!.PacketsSent;
        Assert.Equal("terminated", terminated.State);

        await ObserveUntilAsync(returnedAt + ToTicks(Watch));
        // The clients never stopped sending: the silence below is the server's doing.
        Assert.True(kiosk.VideoOut.PacketsSent + visitor.VideoOut.PacketsSent > sentBefore + 60, "the senders stalled during the watch");
        AssertNothingArrivedAfter(returnedAt + ToTicks(CloseWithin), "terminate returned", returnedAt, kiosk, visitor);

        var after = await visit.GetAsync();
        output.WriteLine($"after terminate: {after}");
        Assert.Equal("terminated", after.State);
        Assert.All(after.Participants, p => Assert.True(p.Connection?.State == "closed", $"{p.Id} connection is {p.Connection?.State}: {after}"));
        var metrics = await server.Api.GetMetricsAsync();
        Assert.True(metrics.Value("mediaserver_legs") == 0, $"legs still open after terminate:\n{metrics.Text}");
        var rejoin = await server.Api.JoinRawAsync(visit.KioskToken, visit.Id, ThrowawayOffer());
        Assert.True(rejoin.Status == HttpStatusCode.Gone, $"Joining a terminated visit: expected 410, got {rejoin}");
    }

    [Fact]
    public async Task Scheduled_end_stops_every_leg_within_a_second_and_the_visit_is_ended()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var officer = await server.MintTokenAsync("officer", "officer-1");
        var now = DateTimeOffset.UtcNow;
        var end = now.AddSeconds(6);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: now.AddSeconds(1), end: end, officerToken: officer);
        await using var kiosk = new RtpParty("kiosk", 1);
        await using var visitor = new RtpParty("visitor1", 2);
        await JoinAndRelayAsync(visit, kiosk, visitor);
        Assert.True(DateTimeOffset.UtcNow < end, "setting up took longer than the visit lasts; the test proves nothing");

        // The scheduled end as a monotonic timestamp, to compare with arrival times.
        var endTimestamp = Stopwatch.GetTimestamp() + ToTicks(end - DateTimeOffset.UtcNow);
        await ObserveUntilAsync(endTimestamp + ToTicks(Watch));
        AssertNothingArrivedAfter(endTimestamp + ToTicks(CloseWithin), "the scheduled end", endTimestamp, kiosk, visitor);

        var after = await visit.WaitForStateAsync("ended", TimeSpan.FromSeconds(3));
        output.WriteLine($"after the end: {after}");
        Assert.All(after.Participants, p => Assert.True(p.Connection?.State == "closed", $"{p.Id} connection is {p.Connection?.State}: {after}"));
        var rejoin = await server.Api.JoinRawAsync(visit.KioskToken, visit.Id, ThrowawayOffer());
        Assert.True(rejoin.Status == HttpStatusCode.Gone, $"Joining an ended visit: expected 410, got {rejoin}");
    }

    private static async Task JoinAndRelayAsync(VisitScenario visit, RtpParty kiosk, RtpParty visitor)
    {
        await visit.JoinAndRelayAsync(kiosk, visitor);
        var live = await visit.GetAsync();
        Assert.Equal("live", live.State);
    }

    private void AssertNothingArrivedAfter(long limit, string since, long reference, params RtpParty[] parties)
    {
        foreach (var party in parties)
        {
            output.WriteLine(party.ToString());
            foreach (var receiver in new[] { party.VideoIn, party.AudioIn })
            {
                var packets = receiver.Packets;
                Assert.True(packets.Count > 0, $"{party.Name} port {receiver.Port} never received anything; the test proves nothing");
                var late = packets.Where(p => p.ArrivalTimestamp > limit).ToList();
                var last = Stopwatch.GetElapsedTime(reference, packets[^1].ArrivalTimestamp);
                output.WriteLine($"{party.Name} port {receiver.Port}: last RTP packet {last.TotalMilliseconds:0} ms after {since}");
                Assert.True(
                    late.Count == 0,
                    $"{party.Name} port {receiver.Port} got {late.Count} RTP packets more than {CloseWithin.TotalSeconds} s after {since}; the last {last.TotalMilliseconds:0} ms after it");
            }
        }
    }

    private static async Task ObserveUntilAsync(long stopwatchTimestamp)
    {
        // An observation window, not a synchronisation sleep: the assertion is about silence during it.
        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), stopwatchTimestamp);
        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining);
        }
    }

    private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    /// <summary>An offer for a re-join attempt (nothing listens on its ports).</summary>
    private static string ThrowawayOffer() =>
        new PlainRtpOffer()
            .AddVideo(PortAllocator.FreeClientRtpPair(), MediaDirection.SendRecv, VideoCodec.Vp8)
            .AddAudio(PortAllocator.FreeClientRtpPair())
            .Build();
}
