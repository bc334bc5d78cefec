using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using MediaServer.Testing;
using MediaServer.Testing.WebRtc;
using MediaServer.WebRtcTests.Harness;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace MediaServer.WebRtcTests;

/// <summary>
/// The /officer page in Chromium against the stub, its feed (GET /api/officer/events) answered in the browser with the
/// snapshots each test says: the page's own behaviour, independent of live visits.
/// </summary>
public sealed class OfficerConsolePageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private static readonly JsonSerializerOptions RawUtf8 = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Issue 9: the console alerts when a visit cannot be recorded (the feed's unrecorded count and "recording").</summary>
    [Fact]
    public async Task An_unrecorded_visit_raises_an_alert_banner_and_a_badge_that_clear_when_it_is_recorded_again()
    {
        await using var stub = new StubVisitServer();
        var unrecorded = 1;
        var served = 0;
        await using var chromium = await ChromiumBrowser.LaunchAsync(output);
        var console = await chromium.OpenAsync(new Uri(stub.BaseAddress, "officer"), "officer-unrecorded", page =>
            // One snapshot per request; "retry: 100" has the page ask again at once, so it sees each change within a moment.
            page.RouteAsync("**/api/officer/events", route =>
            {
                Interlocked.Increment(ref served);
                var count = Volatile.Read(ref unrecorded);
                return route.FulfillAsync(new RouteFulfillOptions
                {
                    Status = 200,
                    ContentType = "text/event-stream",
                    Body = "retry: 100\n\nevent: visits\ndata: " + Snapshot(count) + "\n\n",
                });
            }));
        await console.Page.FillAsync("#token", Token("officer-3", "officer"));
        await console.Page.ClickAsync("#sign-in-button");

        await console.Page.WaitForSelectorAsync("#unrecorded:not([hidden])", new PageWaitForSelectorOptions { Timeout = 15_000 });
        Assert.Equal("alert", await console.Page.GetAttributeAsync("#unrecorded", "role"));
        Assert.StartsWith("1 visit is not being recorded.", (await console.Page.InnerTextAsync("#unrecorded")).Trim(), StringComparison.Ordinal);
        Assert.True(await console.Page.IsVisibleAsync("li[data-visit-id='v-fail'] .badge.unrecorded"));
        Assert.Equal("Not recorded", (await console.Page.InnerTextAsync("li[data-visit-id='v-fail'] .badge.unrecorded")).Trim());
        Assert.False(await console.Page.IsVisibleAsync("li[data-visit-id='v-ok'] .badge.unrecorded"));
        Assert.False(await console.Page.IsVisibleAsync("li[data-visit-id='v-private'] .badge.unrecorded"));
        // A phone: the banner and the badge are on screen without scrolling sideways.
        await console.Page.SetViewportSizeAsync(375, 740);
        Assert.True(await console.Page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
        await console.ScreenshotAsync(RepoLayout.ArtifactsFor(nameof(An_unrecorded_visit_raises_an_alert_banner_and_a_badge_that_clear_when_it_is_recorded_again)));

        Volatile.Write(ref unrecorded, 2);
        await Poll.UntilAsync(() => console.Page.InnerTextAsync("#unrecorded"),
            text => text.StartsWith("2 visits are not being recorded.", StringComparison.Ordinal), Wait, "the banner to count two visits");

        Volatile.Write(ref unrecorded, 0);
        await console.Page.WaitForSelectorAsync("#unrecorded", new PageWaitForSelectorOptions { State = WaitForSelectorState.Hidden, Timeout = 15_000 });
        Assert.False(await console.Page.IsVisibleAsync("li[data-visit-id='v-fail'] .badge.unrecorded"));
        Assert.True(Volatile.Read(ref served) >= 3, $"the feed was read {served} times");
        Assert.Empty(console.Errors);
    }

    /// <summary>A name outside ASCII comes out whole: the token's claims are UTF-8, decoded as such (not byte by byte).</summary>
    [Fact]
    public async Task The_console_greets_an_officer_whose_name_is_not_ascii()
    {
        await using var stub = new StubVisitServer();
        await using var chromium = await ChromiumBrowser.LaunchAsync(output);
        var console = await chromium.OpenAsync(new Uri(stub.BaseAddress, "officer"), "officer-utf8", page =>
            page.RouteAsync("**/api/officer/events", route => route.FulfillAsync(new RouteFulfillOptions
            {
                Status = 200,
                ContentType = "text/event-stream",
                Body = "retry: 60000\n\nevent: visits\ndata: " + Snapshot(0) + "\n\n",
            })));
        await console.Page.FillAsync("#token", Token("Zoë Łukasz-Nguyễn", "officer"));
        await console.Page.ClickAsync("#sign-in-button");

        await Poll.UntilAsync(() => console.Page.InnerTextAsync("#status"), text => text.Length > 0, Wait, "the greeting");
        Assert.StartsWith("Signed in as Zoë Łukasz-Nguyễn (officer).", await console.Page.InnerTextAsync("#status"), StringComparison.Ordinal);
        Assert.Empty(console.Errors);
    }

    /// <summary>A JWT-shaped token whose payload is raw UTF-8 JSON (no \u escapes), as the server's issuer writes it.</summary>
    private static string Token(string subject, string role)
    {
        var json = JsonSerializer.Serialize(new { sub = subject, role, iss = "mediaserver", aud = "mediaserver" }, RawUtf8);
        static string Encode(string text) =>
            Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return $"{Encode("""{"alg":"HS256","typ":"JWT"}""")}.{Encode(json)}.c2lnbmF0dXJl";
    }

    /// <summary>Three live visits as the feed sends them: one that fails to record (with <paramref name="unrecorded"/> &gt; 0), one recorded, one privileged.</summary>
    private static string Snapshot(int unrecorded)
    {
        object Visit(string id, string name, bool privileged, string recording) => new
        {
            id,
            inmate = new { id = "i-" + id, name },
            visitors = new[] { new { id = "v1", name = "Visitor 1" } },
            privileged,
            flagged = false,
            liveSince = DateTimeOffset.UtcNow.AddMinutes(-3),
            durationSeconds = 180.0,
            end = DateTimeOffset.UtcNow.AddHours(1),
            quality = "good",
            participants = Array.Empty<object>(),
            flags = Array.Empty<object>(),
            taps = 0,
            recording,
        };
        var visits = new[]
        {
            Visit("v-fail", "Ann Failing", false, unrecorded > 0 ? "unrecorded" : "ok"),
            Visit("v-ok", "Bob Recorded", false, unrecorded > 1 ? "unrecorded" : "ok"),
            Visit("v-private", "Cy Private", true, "off"),
        };
        return JsonSerializer.Serialize(new { at = DateTimeOffset.UtcNow, visits, unrecorded }, JsonSerializerOptions.Web);
    }
}
