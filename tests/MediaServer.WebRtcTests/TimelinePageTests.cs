using System.Text;
using System.Text.Json;
using MediaServer.Testing;
using MediaServer.Testing.WebRtc;
using MediaServer.WebRtcTests.Harness;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace MediaServer.WebRtcTests;

/// <summary>
/// The timeline on the pages, in Chromium against the stub: the officer console's panel for a live visit (its timeline
/// answered in the browser) and the sentence the visit page tells the family when the visit ends (visit-summary.js).
/// </summary>
public sealed class TimelinePageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task The_officer_opens_a_live_visits_timeline_and_sees_each_partys_drops_and_the_entries_with_their_causes()
    {
        await using var stub = new StubVisitServer();
        await using var chromium = await ChromiumBrowser.LaunchAsync(output);
        var reads = 0;
        var console = await chromium.OpenAsync(new Uri(stub.BaseAddress, "officer"), "officer-timeline", async page =>
        {
            await page.RouteAsync("**/api/officer/events", route => route.FulfillAsync(new RouteFulfillOptions
            {
                Status = 200,
                ContentType = "text/event-stream",
                Body = "retry: 60000\n\nevent: visits\ndata: " + Snapshot() + "\n\n",
            }));
            await page.RouteAsync("**/api/visits/v-live/timeline", route =>
            {
                Interlocked.Increment(ref reads);
                return route.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "application/json", Body = Timeline() });
            });
        });
        await console.Page.FillAsync("#token", Token());
        await console.Page.ClickAsync("#sign-in-button");

        const string Visit = "li[data-visit-id='v-live']";
        await console.Page.ClickAsync($"{Visit} .timeline-button");
        await console.Page.WaitForSelectorAsync($"{Visit} .timeline[data-state='shown']", new PageWaitForSelectorOptions { Timeout = 15_000 });
        var mary = (await console.Page.InnerTextAsync($"{Visit} .timeline-party[data-participant='v1']")).Trim();
        Assert.StartsWith("Mary: media both ways 28:40; 2 drops, 12 s in all", mary, StringComparison.Ordinal);
        Assert.Contains("2.5% loss", mary, StringComparison.Ordinal);
        Assert.Equal("0", await console.Page.GetAttributeAsync($"{Visit} .timeline-party[data-participant='i1']", "data-reconnects"));
        var drops = await console.Page.Locator($"{Visit} .timeline-entries li[data-kind='reconnecting']").AllInnerTextsAsync();
        Assert.Equal(2, drops.Count);
        Assert.Contains("Mary: Reconnecting (connection lost)", drops[0], StringComparison.Ordinal);
        Assert.Contains("Mary: Reconnecting (page reloaded)", drops[1], StringComparison.Ordinal);
        Assert.Equal(0, await console.Page.Locator($"{Visit} .timeline-entries li[data-kind='quality']").CountAsync());
        Assert.Contains("Back after 5 s", await console.Page.Locator($"{Visit} .timeline-entries li[data-kind='reconnected']").First.InnerTextAsync(),
            StringComparison.Ordinal);

        await console.Page.ClickAsync($"{Visit} .timeline-button");
        Assert.True(await console.Page.IsHiddenAsync($"{Visit} .timeline"));
        Assert.Equal("false", await console.Page.GetAttributeAsync($"{Visit} .timeline-button", "aria-expanded"));
        Assert.True(Volatile.Read(ref reads) >= 1);
        Assert.Empty(console.Errors);
    }

    [Fact]
    public async Task The_family_is_told_how_long_the_visit_lasted_and_how_often_the_connection_dropped()
    {
        await using var stub = new StubVisitServer();
        await using var chromium = await ChromiumBrowser.LaunchAsync(output);
        var visit = await chromium.OpenAsync(new Uri(stub.BaseAddress, "visit"), "visit-summary");

        const string Say = """
            async (you) => (await import('/visit-summary.js')).summaryText({
              visit: 'v', state: 'ended', endedAt: '2026-12-06T21:28:40Z', durationSeconds: 1720, you })
            """;
        object You(int reconnects, double seconds, string? lastLeftAt = null) => new
        {
            name = "Mary", role = "visitor", firstJoinedAt = "2026-12-06T21:00:00Z", lastLeftAt, mediaSeconds = 1700.0,
            reconnects, reconnectSeconds = seconds, reconnecting = false,
        };
        Assert.Equal("Your visit lasted 28 min 40 s; the connection dropped twice, 12 s in all.", await visit.Page.EvaluateAsync<string>(Say, You(2, 12)));
        Assert.Equal("Your visit lasted 28 min 40 s; the connection held throughout.", await visit.Page.EvaluateAsync<string>(Say, You(0, 0)));
        Assert.Equal("Your visit lasted 10 min; the connection dropped once, 1 min 5 s in all.",
            await visit.Page.EvaluateAsync<string>(Say, You(1, 65, "2026-12-06T21:10:00Z")));
        Assert.Equal("Your visit lasted 28 min 40 s; the connection dropped 3 times, 40 s in all.", await visit.Page.EvaluateAsync<string>(Say, You(3, 40.4)));
        Assert.Equal("", await visit.Page.EvaluateAsync<string>("async () => (await import('/visit-summary.js')).summaryText({ you: { firstJoinedAt: null } })"));
        Assert.Empty(visit.Errors);
    }

    private static string Token()
    {
        static string Encode(string text) =>
            Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return $"{Encode("""{"alg":"HS256","typ":"JWT"}""")}.{Encode("""{"sub":"officer-1","role":"officer","iss":"mediaserver","aud":"mediaserver"}""")}.c2lnbmF0dXJl";
    }

    private static string Snapshot()
    {
        var visit = new
        {
            id = "v-live",
            inmate = new { id = "i1", name = "Ann" },
            visitors = new[] { new { id = "v1", name = "Mary" } },
            privileged = false,
            flagged = false,
            liveSince = DateTimeOffset.UtcNow.AddMinutes(-29),
            durationSeconds = 1740.0,
            end = DateTimeOffset.UtcNow.AddHours(1),
            quality = "good",
            participants = Array.Empty<object>(),
            flags = Array.Empty<object>(),
            taps = 0,
            recording = "ok",
        };
        return JsonSerializer.Serialize(new { at = DateTimeOffset.UtcNow, visits = new[] { visit }, unrecorded = 0 }, JsonSerializerOptions.Web);
    }

    /// <summary>A timeline as GET /api/visits/{id}/timeline answers it: Mary dropped twice (5 s and 7 s).</summary>
    private static string Timeline()
    {
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-29);
        object E(int seq, double at, string kind, string? participant, object? more = null)
        {
            var entry = new Dictionary<string, object?> { ["seq"] = seq, ["at"] = t0.AddSeconds(at), ["kind"] = kind, ["participant"] = participant };
            foreach (var property in more?.GetType().GetProperties() ?? [])
            {
                entry[property.Name] = property.GetValue(more);
            }
            return entry;
        }
        var entries = new[]
        {
            E(1, -600, "scheduled", null, new { detail = "21:00 to 21:45" }),
            E(2, 0, "token-used", "i1"), E(3, 0, "joined", "i1", new { transport = "rtp", codecs = new[] { "VP8", "opus" } }),
            E(4, 2, "token-used", "v1"), E(5, 2, "joined", "v1", new { transport = "webrtc", codecs = new[] { "VP8", "opus" } }),
            E(6, 3, "media-in", "v1"), E(7, 3, "media-out", "v1"),
            E(8, 13, "quality", "v1", new { quality = new { lossPercent = 2.5, jitterMs = 4.1, roundTripMs = 38.0, bitrateInKbps = 820.0, bitrateOutKbps = 790.0 } }),
            E(9, 600, "reconnecting", "v1", new { cause = "consent-lost" }), E(10, 605, "reconnected", "v1", new { cause = "consent-lost", seconds = 5.0 }),
            E(11, 900, "reconnecting", "v1", new { cause = "page-reload" }), E(12, 907, "reconnected", "v1", new { cause = "page-reload", seconds = 7.0 }),
        };
        object Party(string id, string name, string role, int reconnects, double seconds) => new
        {
            participant = id, name, role, firstJoinedAt = t0, lastLeftAt = (DateTimeOffset?)null, mediaSeconds = 1720.0, mediaInSeconds = 1725.0,
            mediaOutSeconds = 1722.0, reconnects, reconnectSeconds = seconds, reconnecting = false,
        };
        return JsonSerializer.Serialize(new
        {
            visit = "v-live", state = "live", privileged = false, startedAt = t0, endedAt = (DateTimeOffset?)null, durationSeconds = 1740.0,
            entries, parties = new[] { Party("i1", "Ann", "kiosk", 0, 0), Party("v1", "Mary", "visitor", 2, 12) }, truncated = false,
        }, JsonSerializerOptions.Web);
    }
}
