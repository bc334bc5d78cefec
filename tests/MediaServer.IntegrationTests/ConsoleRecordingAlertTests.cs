using System.Net.Http.Headers;
using System.Text.Json;
using MediaServer.IntegrationTests.Harness;
using MediaServer.Testing;
using MediaServer.Testing.Rtp;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests;

/// <summary>
/// Issue 9: the officer console alerts when a visit cannot be recorded. Under MediaServer:Recording:OnFailure=continue-and-alert
/// a visit whose recording fails (a 1 MiB disk fills up) goes on; the console's feed (GET /api/officer/events) marks it
/// <c>"recording":"unrecorded"</c> and counts it, while a privileged visit, never recorded, is <c>"off"</c> and not counted.
/// </summary>
public sealed class ConsoleRecordingAlertTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_visit_whose_recording_fails_is_marked_unrecorded_and_counted_in_the_officer_feed()
    {
        await using var disk = await SmallDisk.MountAsync();
        // The server stops at the end of this block, before the disk is unmounted.
        {
            await using var server = await ServerProcess.StartAsync(output, null, new Dictionary<string, string>
            {
                ["MediaServer__Recording__Directory"] = disk.Path,
                ["MediaServer__Recording__OnFailure"] = "continue-and-alert",
            });
            var privileged = await VisitScenario.CreateAsync(server, visitors: 1, start: DateTimeOffset.UtcNow, privileged: true);
            await using var lawyerKiosk = new RtpParty("kiosk-privileged", 3);
            await using var lawyer = new RtpParty("attorney", 4);
            await privileged.JoinAndRelayAsync(lawyerKiosk, lawyer);
            var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: DateTimeOffset.UtcNow);
            await using var kiosk = new RtpParty("kiosk", 1);
            await using var visitor = new RtpParty("visitor1", 2);
            await visit.JoinAndRelayAsync(kiosk, visitor);

            var officer = await server.MintTokenAsync("officer", "officer-9");
            var seen = new List<string>();
            var alerted = await ReadFeedUntilAsync(server, officer, snapshot =>
            {
                var recording = RecordingOf(snapshot, visit.Id);
                if (seen.Count == 0 || seen[^1] != recording)
                {
                    seen.Add(recording);
                }
                return recording == "unrecorded" && snapshot.GetProperty("unrecorded").GetInt32() == 1;
            });
            output.WriteLine("the visit's recording in the feed: " + string.Join(" → ", seen));
            Assert.Equal("off", RecordingOf(alerted, privileged.Id));
            Assert.Equal(1, alerted.GetProperty("unrecorded").GetInt32());
            // The console and the metric agree, and the visit goes on.
            var metrics = await server.Api.GetMetricsAsync();
            Assert.Equal(1, metrics.Counter("mediaserver_recording_unrecorded_visits"));
            Assert.Equal("live", (await visit.GetAsync()).State);

            // Once the visit is over it leaves the list, and the alert with it.
            await server.Api.TerminateAsync(visit.OfficerToken, visit.Id, "console alert test");
            var cleared = await ReadFeedUntilAsync(server, officer, snapshot =>
                snapshot.GetProperty("unrecorded").GetInt32() == 0 && !Contains(snapshot, visit.Id));
            Assert.Equal("off", RecordingOf(cleared, privileged.Id));
        }
    }

    /// <summary>Reads the officer's event stream until a <c>visits</c> event satisfies <paramref name="done"/>; that snapshot.</summary>
    private static async Task<JsonElement> ReadFeedUntilAsync(ServerProcess server, string token, Func<JsonElement, bool> done)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        using var stop = new CancellationTokenSource(Wait);
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/officer/events");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop.Token));
        var last = "(no event)";
        try
        {
            while (await reader.ReadLineAsync(stop.Token) is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    continue;
                }
                last = line["data: ".Length..];
                using var document = JsonDocument.Parse(last);
                if (done(document.RootElement))
                {
                    return document.RootElement.Clone();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Timed out: said below with the last snapshot.
        }
        throw new TimeoutException($"The officer feed did not show what was awaited within {Wait.TotalSeconds:0} s; last snapshot: {last}");
    }

    private static bool Contains(JsonElement snapshot, string visitId) =>
        snapshot.GetProperty("visits").EnumerateArray().Any(v => v.GetProperty("id").GetString() == visitId);

    private static string RecordingOf(JsonElement snapshot, string visitId) =>
        snapshot.GetProperty("visits").EnumerateArray()
            .Where(v => v.GetProperty("id").GetString() == visitId)
            .Select(v => v.GetProperty("recording").GetString() ?? "")
            .FirstOrDefault() ?? "(not listed)";
}
