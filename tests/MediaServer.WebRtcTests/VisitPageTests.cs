using MediaServer.Testing;
using MediaServer.Testing.WebRtc;
using MediaServer.WebRtcTests.Harness;
using Xunit.Abstractions;

namespace MediaServer.WebRtcTests;

/// <summary>
/// The /visit page in Chromium against a stub that serves wwwroot and answers joins as each test says: the page's own behaviour,
/// independent of the server's WebRTC legs.
/// </summary>
public sealed class VisitPageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Page_loads_without_script_errors_and_offers_a_labelled_token_box()
    {
        await using var stub = new StubVisitServer();
        await using var chromium = await ChromiumBrowser.LaunchAsync(output);
        var page = await chromium.OpenAsync(new Uri(stub.BaseAddress, "visit"), "paste");

        Assert.Equal("idle", await page.StateAsync());
        Assert.True(await page.Page.IsVisibleAsync("textarea#token"));
        // The box is named by its label, so a screen reader says what to paste.
        Assert.Equal("Join code", (await page.Page.Locator("label[for=token]").InnerTextAsync()).Trim());
        Assert.True(await page.Page.GetByLabel("Join code").IsVisibleAsync());
        Assert.True(await page.Page.IsVisibleAsync("button#join-button"));
        Assert.False(await page.Page.IsVisibleAsync("#call"));
        // A phone: nothing wider than the screen, the button still there.
        await page.Page.SetViewportSizeAsync(360, 740);
        Assert.True(await page.Page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
        Assert.True(await page.Page.IsVisibleAsync("button#join-button"));
        await page.ScreenshotAsync(RepoLayout.ArtifactsFor(nameof(Page_loads_without_script_errors_and_offers_a_labelled_token_box)));
        Assert.Empty(page.Errors);
        // Nothing but the page and its own files and the shared ones under common/ was asked for (no CDN, no favicon).
        Assert.All(stub.Requests, r => Assert.True(r.Path == "/visit" || StubVisitServer.IsPageFile(r.Path), r.Path));
        Assert.Contains(stub.Requests, r => r.Path == "/common/base.css");
        Assert.Contains(stub.Requests, r => r.Path == "/common/api.js");
    }

    [Fact]
    public async Task Pasting_something_that_is_not_a_join_code_explains_the_problem_and_sends_nothing()
    {
        await using var stub = new StubVisitServer();
        await using var chromium = await ChromiumBrowser.LaunchAsync(output);
        var page = await chromium.OpenAsync(new Uri(stub.BaseAddress, "visit"), "bad-paste");

        await page.Page.FillAsync("#token", "hello there");
        await page.Page.ClickAsync("#join-button");

        Assert.True(await page.Page.IsVisibleAsync("#token-error"));
        Assert.Contains("does not look like a join code", await page.Page.InnerTextAsync("#token-error"), StringComparison.Ordinal);
        Assert.Equal("true", await page.Page.GetAttributeAsync("#token", "aria-invalid"));
        Assert.DoesNotContain(stub.Requests, r => r.Method == "POST");
        Assert.Empty(page.Errors);
    }

    [Fact]
    public async Task A_token_in_the_address_joins_with_a_webrtc_offer_that_carries_candidates_and_slots_for_four_more_parties()
    {
        await using var stub = new StubVisitServer();
        stub.Join = _ => StubVisitServer.Problem(501, "WebRTC not available", "not yet");
        var token = Hs256Token.Unsigned("visit-42", "kiosk", "i1");
        await using var chromium = await ChromiumBrowser.LaunchAsync(output);
        var page = await chromium.OpenAsync(new Uri(stub.BaseAddress, $"visit?token={token}"), "offer");

        await page.WaitForStateAsync("ended", Wait);
        var join = Assert.Single(stub.Requests, r => r.Method == "POST");
        Assert.Equal("/api/visits/visit-42/join", join.Path);
        Assert.Equal($"Bearer {token}", join.Authorization);
        Assert.StartsWith("application/sdp", join.ContentType, StringComparison.Ordinal);
        var lines = join.Body.Split("\r\n");
        var media = lines.Where(l => l.StartsWith("m=", StringComparison.Ordinal)).ToList();
        // One sendrecv pair, then four recvonly pairs (video, audio).
        Assert.Equal(10, media.Count);
        Assert.All(media, m => Assert.Contains("UDP/TLS/RTP/SAVPF", m, StringComparison.Ordinal));
        Assert.Equal(5, media.Count(m => m.StartsWith("m=video", StringComparison.Ordinal)));
        Assert.Equal(2, lines.Count(l => l == "a=sendrecv"));
        Assert.Equal(8, lines.Count(l => l == "a=recvonly"));
        // The server is ICE-lite and takes no trickled candidates: the offer itself must hold a loopback host candidate.
        Assert.Contains(lines, l => l.StartsWith("a=candidate:", StringComparison.Ordinal) && l.Contains(" 127.0.0.1 ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("a=group:BUNDLE", StringComparison.Ordinal));
        Assert.Contains("browser is not available", await page.EndedTextAsync(), StringComparison.Ordinal);
        // The token leaves the address bar once read.
        Assert.DoesNotContain("token=", page.Page.Url, StringComparison.Ordinal);
        Assert.DoesNotContain(page.Errors, e => !e.Contains("Failed to load resource", StringComparison.Ordinal));
    }

    /// <summary>
    /// The page decides by the problem's type slug, not its English: the same 410 with the same detail says "the facility
    /// ended it" only for visit-terminated; a problem without a type (about:blank) is read by its status alone.
    /// </summary>
    [Theory]
    [InlineData(410, "visit-terminated", "The facility ended this visit.", "The facility ended this visit")]
    [InlineData(410, "visit-over", "The facility ended this visit.", "The visit has ended")]
    [InlineData(410, "visit-over", "This visit has ended.", "The visit has ended")]
    [InlineData(410, null, "The facility ended this visit.", "The visit has ended")]
    [InlineData(401, "token-expired", "", "This join code has expired")]
    [InlineData(401, null, "", "This join code does not work")]
    [InlineData(403, "too-early", "This visit opens at 2030-01-01T10:00:00+00:00.", "This visit has not opened yet")]
    [InlineData(409, "already-connected", "Another device is in this visit with your code.", "This join code is in use on another device")]
    [InlineData(503, "recording-unavailable", "", "Could not join the visit")]
    public async Task A_refused_join_says_why_in_plain_words(int status, string? slug, string detail, string shown)
    {
        await using var stub = new StubVisitServer();
        stub.Join = _ => StubVisitServer.Problem(status, "refused", detail, slug);
        await using var chromium = await ChromiumBrowser.LaunchAsync(output);
        var page = await chromium.OpenAsync(new Uri(stub.BaseAddress, $"visit?token={Hs256Token.Unsigned("v-1")}"), $"refused-{status}-{slug ?? "untyped"}");

        await page.WaitForStateAsync("ended", Wait);
        var text = await page.EndedTextAsync();
        Assert.StartsWith(shown, text, StringComparison.Ordinal);
        if (slug == "visit-terminated")
        {
            await page.ScreenshotAsync(RepoLayout.ArtifactsFor(nameof(A_refused_join_says_why_in_plain_words)));
        }
        // Only the join request failed; the page itself threw nothing.
        Assert.DoesNotContain(page.Errors, e => !e.Contains("Failed to load resource", StringComparison.Ordinal));
    }

    /// <summary>
    /// A too-early join says when the visit opens in the family's own clock (the problem's <c>opensAt</c>), never the server's
    /// UTC timestamp, and offers to try again.
    /// </summary>
    [Fact]
    public async Task A_too_early_join_says_when_the_visit_opens_in_local_time()
    {
        var opensAt = new DateTimeOffset(2030, 1, 1, 16, 45, 0, TimeSpan.Zero);
        await using var stub = new StubVisitServer();
        stub.Join = _ => new StubResponse(403, "application/problem+json", System.Text.Json.JsonSerializer.Serialize(new
        {
            type = "/problems/too-early", title = "Too early", status = 403, detail = $"This visit opens at {opensAt:O}.", opensAt,
        }));
        await using var chromium = await ChromiumBrowser.LaunchAsync(output);
        var page = await chromium.OpenAsync(new Uri(stub.BaseAddress, $"visit?token={Hs256Token.Unsigned("v-3")}"), "too-early");

        await page.WaitForStateAsync("ended", Wait);
        var text = await page.EndedTextAsync();
        output.WriteLine(text);
        // The page's own clock and language say it (the same Intl formats the page uses, so the test holds in any time zone).
        var local = await page.Page.EvaluateAsync<string>(
            "(iso) => new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' }).format(new Date(iso))", opensAt.ToString("O"));
        Assert.StartsWith("This visit has not opened yet", text, StringComparison.Ordinal);
        Assert.Contains($"You can join from {local} on ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("2030-01-01T", text, StringComparison.Ordinal);
        Assert.True(await page.Page.IsVisibleAsync("#rejoin"), "no way to try again");
    }

    [Fact]
    public async Task Self_view_shows_the_camera_while_joining()
    {
        var answered = new TaskCompletionSource();
        await using var stub = new StubVisitServer();
        // Hold the join open until the test has looked at the page in its "joining" state.
        stub.Join = _ =>
        {
            answered.Task.Wait(TimeSpan.FromSeconds(20));
            return StubVisitServer.Problem(410, "Visit is over", "This visit has ended.");
        };
        await using var chromium = await ChromiumBrowser.LaunchAsync(output);
        var page = await chromium.OpenAsync(new Uri(stub.BaseAddress, $"visit?token={Hs256Token.Unsigned("v-2")}"), "self-view");
        try
        {
            await Poll.UntilAsync(() => page.Page.EvaluateAsync<double>("() => document.getElementById('self-view').videoWidth"),
                width => width > 0, Wait, "the self-view to show camera frames");
            Assert.True(await page.Page.EvaluateAsync<bool>("() => document.getElementById('self-view').muted"));
            Assert.True(await page.Page.IsVisibleAsync("#mute"));
            await page.Page.ClickAsync("#mute");
            Assert.Equal("true", await page.Page.GetAttributeAsync("#mute", "aria-pressed"));
            Assert.False(await page.Page.EvaluateAsync<bool>("() => window.visitPc.getSenders().find(s => s.track && s.track.kind === 'audio').track.enabled"));
            await page.ScreenshotAsync(RepoLayout.ArtifactsFor(nameof(Self_view_shows_the_camera_while_joining)));
        }
        finally
        {
            answered.TrySetResult();
        }
        await page.WaitForStateAsync("ended", Wait);
    }
}
