using System.Globalization;
using MediaServer.Testing;
using MediaServer.Testing.WebRtc;
using MediaServer.WebRtcTests.Harness;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace MediaServer.WebRtcTests;

/// <summary>
/// The /review page in Chromium against a stub of the recordings API: playing a review copy, bookmarks that seek, render
/// progress, a failed verification and refusals — the page's own behaviour, whether or not the server can render yet.
/// </summary>
public sealed class ReviewPageStubTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private static readonly DateTimeOffset Start = new(2026, 11, 25, 18, 0, 0, TimeSpan.Zero);
    private const string Visit = "visit-7";

    [Fact]
    public async Task Page_plays_the_review_copy_and_a_bookmark_seeks_to_its_moment()
    {
        var artifacts = RepoLayout.ArtifactsFor(nameof(Page_plays_the_review_copy_and_a_bookmark_seeks_to_its_moment));
        var media = await MakeClipAsync(artifacts, seconds: 10);
        await using var stub = new ReviewStub { MediaFile = media };
        var bookmarkAt = Start.AddSeconds(6.5);
        stub.Api = (method, path) => (method, path) switch
        {
            ("GET", "/api/recordings") => (200, new[] { Summary("rendered", bookmarkAt) }),
            ("GET", "/api/recordings/" + Visit) => (200, Detail("rendered", bookmarkAt)),
            _ => null,
        };
        var token = Hs256Token.Unsigned("", role: "investigator", subject: "inv-3");
        await using var chromium = await ChromiumBrowser.LaunchAsync(output);
        var review = await chromium.OpenAsync(new Uri(stub.BaseAddress, "review"), "review-player");
        var page = review.Page;

        await UseTokenAndOpenAsync(page, token);
        Assert.True(await page.IsVisibleAsync("#player"));
        Assert.False(await page.IsVisibleAsync("#player-message"));
        await Poll.UntilAsync(() => page.EvaluateAsync<int>("() => document.getElementById('player').readyState"), s => s >= 2, Wait,
            "the review copy to have data for the current position (readyState ≥ 2)");
        // Muted, because headless Chromium refuses unmuted playback without a gesture; what is tested is that the copy plays.
        await page.EvaluateAsync("() => { const v = document.getElementById('player'); v.muted = true; return v.play(); }");
        var played = await Poll.UntilAsync(() => page.EvaluateAsync<double>("() => document.getElementById('player').currentTime"),
            t => t > 0.5, Wait, "the review copy to play (currentTime advancing)");
        output.WriteLine($"review copy playing: currentTime {played:0.00} s");

        var mark = page.Locator("#bookmarks button.mark");
        Assert.Equal(1, await mark.CountAsync());
        Assert.Contains("— 0:06 into the visit", await mark.InnerTextAsync(), StringComparison.Ordinal); // 6.5 s, cut to the second
        Assert.Contains("officer-2: passed a note", await mark.InnerTextAsync(), StringComparison.Ordinal);
        await mark.ClickAsync();
        var seeked = await Poll.UntilAsync(
            () => page.EvaluateAsync<double[]>("() => { const v = document.getElementById('player'); return [v.currentTime, v.seeking ? 1 : 0, v.readyState]; }"),
            s => s[1] == 0 && s[2] >= 2 && s[0] >= 6.5, Wait, "the player to land on the bookmark");
        Assert.InRange(seeked[0], 6.5, 7.5);
        output.WriteLine($"bookmark at 6.5 s: player at {seeked[0]:0.00} s after the click");

        // The media element asked with the token in its address and with ranges; API calls used the header.
        var mediaRequests = stub.Requests.Where(r => r.PathAndQuery.Contains("/media", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(mediaRequests);
        Assert.All(mediaRequests, r => Assert.Contains("access_token=" + token, r.PathAndQuery, StringComparison.Ordinal));
        Assert.Contains(mediaRequests, r => r.Range is not null);
        Assert.All(stub.Requests.Where(r => r.PathAndQuery.StartsWith("/api/recordings", StringComparison.Ordinal) && !r.PathAndQuery.Contains("/media", StringComparison.Ordinal)),
            r => Assert.Equal("Bearer " + token, r.Authorization));
        Assert.Equal(await page.GetAttributeAsync("#download-media", "href"), $"/api/recordings/{Visit}/media?access_token={token}");
        await review.ScreenshotAsync(artifacts);
        Assert.Empty(review.Errors);
    }

    [Fact]
    public async Task A_recording_without_a_review_copy_says_why_and_shows_render_progress()
    {
        await using var stub = new ReviewStub();
        var detail = Detail("sealed", null, renderProgress: 0.42);
        stub.Api = (method, path) => (method, path) switch
        {
            ("GET", "/api/recordings") => (200, new[] { Summary("sealed", null, renderProgress: 0.42) }),
            ("GET", "/api/recordings/" + Visit) => (200, detail),
            _ => null,
        };
        await using var chromium = await ChromiumBrowser.LaunchAsync(output);
        var review = await chromium.OpenAsync(new Uri(stub.BaseAddress, "review"), "review-rendering");
        var page = review.Page;

        await UseTokenAndOpenAsync(page, Hs256Token.Unsigned("", role: "investigator", subject: "inv-3"));
        Assert.False(await page.IsVisibleAsync("#player"));
        Assert.Equal("Making the review copy: 42 % done.", (await page.InnerTextAsync("#player-message")).Trim());
        Assert.True(await page.IsVisibleAsync("#render-progress"));
        Assert.False(await page.IsVisibleAsync("#download-media"));
        Assert.DoesNotContain(stub.Requests, r => r.PathAndQuery.Contains("/media", StringComparison.Ordinal));
        await review.ScreenshotAsync(RepoLayout.ArtifactsFor(nameof(A_recording_without_a_review_copy_says_why_and_shows_render_progress)));
        Assert.Empty(review.Errors);
    }

    [Fact]
    public async Task A_failed_verification_lists_each_problem()
    {
        await using var stub = new ReviewStub();
        stub.Api = (method, path) => (method, path) switch
        {
            ("GET", "/api/recordings") => (200, new[] { Summary("render_failed", null, error: "no renderer is configured") }),
            ("GET", "/api/recordings/" + Visit) => (200, Detail("render_failed", null, error: "no renderer is configured")),
            ("GET", "/api/recordings/" + Visit + "/verify") => (200, new
            {
                ok = false, journalSha256 = "ab", mediaSha256 = (string?)null, signatureValid = false, chainValid = false,
                gaps = Array.Empty<object>(), keyId = "k1",
                problems = new[] { "manifest: the signature does not match", "journal: record 12 at byte 4711 is damaged (its CRC does not match)" },
            }),
            _ => null,
        };
        await using var chromium = await ChromiumBrowser.LaunchAsync(output);
        var review = await chromium.OpenAsync(new Uri(stub.BaseAddress, "review"), "review-tampered");
        var page = review.Page;

        await UseTokenAndOpenAsync(page, Hs256Token.Unsigned("", role: "investigator", subject: "inv-3"));
        Assert.Contains("no renderer is configured", await page.InnerTextAsync("#player-message"), StringComparison.Ordinal);
        await page.ClickAsync("#verify");
        await page.WaitForSelectorAsync("#verify-result[data-ok]");
        Assert.Equal("false", await page.GetAttributeAsync("#verify-result", "data-ok"));
        var text = await page.InnerTextAsync("#verify-result");
        Assert.Contains("Verification FAILED", text, StringComparison.Ordinal);
        Assert.Equal(new[] { "manifest: the signature does not match", "journal: record 12 at byte 4711 is damaged (its CRC does not match)" },
            await page.Locator("#verify-result .problems li").AllInnerTextsAsync());
        await review.ScreenshotAsync(RepoLayout.ArtifactsFor(nameof(A_failed_verification_lists_each_problem)));
        Assert.Empty(review.Errors);
    }

    [Theory]
    [InlineData(401, "search", "The server refused the token (401)")]
    [InlineData(403, "search", "This token may not open recordings (403)")]
    [InlineData(404, "open", "No such recording (404)")]
    [InlineData(0, "search", "Could not reach the server")]
    public async Task Refusals_and_a_lost_server_are_said_plainly(int status, string when, string shown)
    {
        var stub = new ReviewStub();
        await using var _ = stub;
        stub.Api = (method, path) => (method, path) switch
        {
            ("GET", "/api/recordings") when when == "search" => ReviewStub.Problem(status, "stub says no"),
            ("GET", "/api/recordings") => (200, new[] { Summary("rendered", null) }),
            ("GET", "/api/recordings/" + Visit) => ReviewStub.Problem(status, $"No recording {Visit}."),
            _ => null,
        };
        await using var chromium = await ChromiumBrowser.LaunchAsync(output);
        var review = await chromium.OpenAsync(new Uri(stub.BaseAddress, "review"), $"review-{status}");
        var page = review.Page;
        await page.FillAsync("#token", Hs256Token.Unsigned("", role: "investigator", subject: "inv-3"));
        await page.ClickAsync("#token-save");
        if (status == 0)
        {
            await stub.DisposeAsync(); // the server goes away between loading the page and searching
        }
        await page.ClickAsync("#search-button");
        if (when == "open")
        {
            await page.ClickAsync($"#results button[data-visit='{Visit}']");
        }

        await page.WaitForSelectorAsync("#error:not([hidden])", new PageWaitForSelectorOptions { Timeout = 15_000 });
        Assert.StartsWith(shown, (await page.InnerTextAsync("#error")).Trim(), StringComparison.Ordinal);
        Assert.Equal("error", await page.EvaluateAsync<string>("() => document.body.dataset.state"));
        if (status == 401)
        {
            await review.ScreenshotAsync(RepoLayout.ArtifactsFor(nameof(Refusals_and_a_lost_server_are_said_plainly)));
        }
        // Only the refused request failed; the page itself threw nothing.
        Assert.DoesNotContain(review.Errors, e => !e.Contains("Failed to load resource", StringComparison.Ordinal));
    }

    private static async Task UseTokenAndOpenAsync(IPage page, string token)
    {
        Assert.Equal("no-token", await page.EvaluateAsync<string>("() => document.body.dataset.state"));
        Assert.False(await page.IsVisibleAsync("#search-section"));
        Assert.Equal("Investigator token", (await page.Locator("label[for=token]").InnerTextAsync()).Trim());
        await page.FillAsync("#token", token);
        await page.ClickAsync("#token-save");
        Assert.True(await page.IsVisibleAsync("#search-section"));
        Assert.Equal(token, await page.EvaluateAsync<string>("() => sessionStorage.getItem('mediaserver.review.token')"));
        await page.ClickAsync("#search-button");
        await page.ClickAsync($"#results button[data-visit='{Visit}']");
        await page.WaitForSelectorAsync($"#detail[data-visit='{Visit}']");
    }

    private static object Summary(string state, DateTimeOffset? bookmark, double? renderProgress = null, string? error = null) => new
    {
        visit = Visit,
        inmate = new { id = "i1", name = "Inmate One" },
        visitors = new[] { new { id = "v1", name = "Visitor One" } },
        start = Start,
        durationSeconds = 10.0,
        state,
        flagged = bookmark is not null,
        flags = Bookmarks(bookmark),
        hold = false,
        recovered = false,
        error,
        renderProgress,
    };

    private static object[] Bookmarks(DateTimeOffset? at) =>
        at is { } t ? [new { at = t, by = "officer-2", note = "passed a note" }] : [];

    private static object Detail(string state, DateTimeOffset? bookmark, double? renderProgress = null, string? error = null) => new
    {
        recording = Summary(state, bookmark, renderProgress, error),
        manifest = new
        {
            format = "mediaserver-recording-manifest/1",
            start = Start,
            end = Start.AddSeconds(10),
            durationSeconds = 10.0,
            journal = new { file = "journal.msj", sha256 = "ab", bytes = 1000, records = 50, chainHash = "cd", recovered = false, cutBytes = 0, droppedPackets = 0 },
            reviewCopy = state == "rendered" ? new { file = "review.mp4", sha256 = "ef", bytes = 1 } : null,
            reviewCopyError = error,
            gaps = new[] { new { trackId = 2, participant = "v1", kind = "video", from = Start.AddSeconds(3), to = Start.AddSeconds(4.5), seconds = 1.5 } },
            bookmarks = Bookmarks(bookmark),
            signedAt = Start.AddSeconds(12),
            keyId = "k1",
        },
        flags = Bookmarks(bookmark),
        gaps = new[] { new { trackId = 2, participant = "v1", kind = "video", from = Start.AddSeconds(3), to = Start.AddSeconds(4.5), seconds = 1.5 } },
    };

    /// <summary>An H.264 + AAC MP4 like a review copy (moov first, so the player can start from a range request).</summary>
    private static async Task<string> MakeClipAsync(string directory, int seconds)
    {
        var path = Path.Combine(directory, "clip.mp4");
        await using var ffmpeg = ChildProcess.Start("ffmpeg-clip", "ffmpeg",
        [
            "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", $"testsrc2=size=320x180:rate=30:duration={seconds.ToString(CultureInfo.InvariantCulture)}",
            "-f", "lavfi", "-i", $"sine=frequency=440:sample_rate=48000:duration={seconds.ToString(CultureInfo.InvariantCulture)}",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "30", "-c:a", "aac", "-movflags", "+faststart", path,
        ]);
        var exit = await ffmpeg.WaitForExitCodeAsync(TimeSpan.FromSeconds(60));
        if (exit != 0 || !File.Exists(path))
        {
            throw new InvalidOperationException($"ffmpeg could not make the clip (exit {exit}).\n{ffmpeg.Describe()}");
        }
        return path;
    }
}
