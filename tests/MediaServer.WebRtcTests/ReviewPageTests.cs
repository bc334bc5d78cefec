using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using MediaServer.Testing;
using MediaServer.WebRtcTests.Harness;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace MediaServer.WebRtcTests;

/// <summary>The /review page and the ?access_token= downloads against the real server and a real recorded visit.</summary>
public sealed class ReviewPageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task An_investigator_finds_opens_verifies_downloads_and_holds_a_real_recording_on_the_review_page()
    {
        await using var scenario = await Scenario.StartAsync(output);
        var recording = await ReviewRecording.MakeAsync(scenario, "passed something under the table");
        var token = recording.InvestigatorToken;
        var id = recording.VisitId;

        var review = await (await scenario.ChromiumAsync()).OpenAsync(new Uri(scenario.Server.BaseAddress, "/review"), "review");
        var page = review.Page;
        Assert.Equal("no-token", await page.EvaluateAsync<string>("() => document.body.dataset.state"));
        await page.FillAsync("#token", token);
        await page.ClickAsync("#token-save");
        Assert.Contains("inv-5 (investigator)", await page.InnerTextAsync("#who"), StringComparison.Ordinal);

        await page.FillAsync("#inmate", "i1");
        await page.ClickAsync("#search-button");
        var result = page.Locator($"#results button[data-visit='{id}']");
        await result.WaitForAsync(new LocatorWaitForOptions { Timeout = 15_000 });
        var meta = await result.InnerTextAsync();
        Assert.Contains("Inmate One (i1) with Visitor 1 (v1)", meta, StringComparison.Ordinal);
        Assert.Contains(recording.FlagNote is null ? "0 bookmarks" : "1 bookmark", meta, StringComparison.Ordinal);

        await result.ClickAsync();
        await page.WaitForSelectorAsync($"#detail[data-visit='{id}']");
        Assert.Equal(recording.State, await page.GetAttributeAsync("#detail", "data-recording-state"));
        if (recording.State == "rendered")
        {
            await AssertReviewCopyPlaysAsync(page, recording);
        }
        else
        {
            // Until a renderer is configured: no player, and the reason in words.
            output.WriteLine($"no review copy ({recording.State}): the player part is checked by {nameof(ReviewPageStubTests)}");
            Assert.False(await page.IsVisibleAsync("#player"));
            var message = await page.InnerTextAsync("#player-message");
            Assert.Contains("No review copy to play", message, StringComparison.Ordinal);
            Assert.Contains(recording.Summary.GetProperty("error").GetString()!, message, StringComparison.Ordinal);
        }
        if (recording.FlagNote is not null)
        {
            Assert.Contains("officer-7: " + recording.FlagNote, await page.InnerTextAsync("#bookmarks"), StringComparison.Ordinal);
        }

        await page.ClickAsync("#verify");
        await page.WaitForSelectorAsync("#verify-result[data-ok]", new PageWaitForSelectorOptions { Timeout = 15_000 });
        Assert.StartsWith("Verified", (await page.InnerTextAsync("#verify-result .verdict")).Trim(), StringComparison.Ordinal);
        Assert.Equal("true", await page.GetAttributeAsync("#verify-result", "data-ok"));

        Assert.Equal("false", await page.GetAttributeAsync("#hold", "aria-pressed"));
        await page.ClickAsync("#hold");
        await page.WaitForSelectorAsync("#hold[aria-pressed='true']");
        using (var detail = await ReviewRecording.SendAsync(scenario.Server, HttpMethod.Get, $"/api/recordings/{id}", token))
        {
            Assert.True(JsonDocument.Parse(await detail.Content.ReadAsStringAsync()).RootElement.GetProperty("recording").GetProperty("hold").GetBoolean());
        }

        // The page's download links work as they are, without a header, and with ranges.
        var journal = await page.GetAttributeAsync("#download-journal", "href");
        Assert.Equal($"/api/recordings/{id}/journal?access_token={token}", journal);
        using (var request = new HttpRequestMessage(HttpMethod.Get, journal))
        {
            request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 7);
            using var response = await scenario.Server.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal("MSJRNL\r\n", Encoding.ASCII.GetString(await response.Content.ReadAsByteArrayAsync()));
        }
        using (var export = await scenario.Server.Http.GetAsync(await page.GetAttributeAsync("#download-export", "href")))
        {
            Assert.Equal(HttpStatusCode.OK, export.StatusCode);
            using var zip = new ZipArchive(await export.Content.ReadAsStreamAsync());
            var names = zip.Entries.Select(e => e.FullName).ToList();
            Assert.Contains($"{id}/journal.msj", names);
            Assert.Contains($"{id}/manifest.json", names);
            Assert.Contains($"{id}/manifest.sig", names);
        }

        await review.ScreenshotAsync(scenario.Artifacts);
        Assert.Empty(review.Errors);

        // Every step the page took is in the audit log under the investigator's name.
        var audit = await AuditAsync(scenario);
        foreach (var action in new[] { "recording.search", "recording.view", "recording.verify", "recording.hold", "recording.journal", "recording.export" })
        {
            Assert.Contains(audit, e => e.Action == action && e.Actor == "inv-5" && (action == "recording.search" || e.Target == "recording/" + id));
        }
        Assert.DoesNotContain(token, scenario.Server.Log, StringComparison.Ordinal);
    }

    private async Task AssertReviewCopyPlaysAsync(IPage page, ReviewRecording recording)
    {
        Assert.True(await page.IsVisibleAsync("#player"));
        await Poll.UntilAsync(() => page.EvaluateAsync<int>("() => document.getElementById('player').readyState"), s => s >= 2, Wait,
            "the review copy to have data for the current position (readyState ≥ 2)");
        await page.EvaluateAsync("() => { const v = document.getElementById('player'); v.muted = true; return v.play(); }");
        var t = await Poll.UntilAsync(() => page.EvaluateAsync<double>("() => document.getElementById('player').currentTime"),
            x => x > 0.5, Wait, "the review copy to play (currentTime advancing)");
        output.WriteLine($"review copy playing: currentTime {t:0.00} s");
        if (recording.FlagNote is null)
        {
            return;
        }
        var mark = page.Locator("#bookmarks button.mark").First;
        var offset = double.Parse((await mark.GetAttributeAsync("data-offset"))!, System.Globalization.CultureInfo.InvariantCulture);
        await page.EvaluateAsync("() => document.getElementById('player').pause()");
        await page.EvaluateAsync("() => { document.getElementById('player').currentTime = 0; }");
        await mark.ClickAsync();
        var landed = await Poll.UntilAsync(() => page.EvaluateAsync<double>("() => document.getElementById('player').currentTime"),
            x => x >= offset, Wait, $"the player to seek to the bookmark at {offset:0.00} s");
        Assert.InRange(landed, offset, offset + 1.0);
        output.WriteLine($"bookmark at {offset:0.00} s into the visit: player at {landed:0.00} s");
    }

    [Fact]
    public async Task Access_token_in_the_query_opens_media_journal_and_export_only_and_never_reaches_the_log()
    {
        // The host's own request lines, if they were on, would print the whole URL: turn everything up and check.
        await using var scenario = await Scenario.StartAsync(output, new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Information",
            ["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
        });
        var server = scenario.Server;
        var investigator = await server.MintTokenAsync("investigator", "inv-9");
        // A participant token comes only from the API (the CLI refuses participant roles).
        var kiosk = (await scenario.Api.CreateVisitAsync()).KioskToken;
        const string id = "no-such-visit";
        var q = "?access_token=" + investigator;

        // Accepted where a <video> or a link needs it: the request is authenticated (404: no such recording, not 401).
        foreach (var what in new[] { "media", "journal", "export" })
        {
            Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(server, HttpMethod.Get, $"/api/recordings/{id}/{what}{q}"));
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(server, HttpMethod.Get, $"/api/recordings/{id}/{what}"));
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(server, HttpMethod.Get, $"/api/recordings/{id}/{what}?access_token=garbage"));
            // The role is checked exactly as with the header.
            Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(server, HttpMethod.Get, $"/api/recordings/{id}/{what}?access_token={kiosk}"));
        }
        // Refused everywhere else, reading or not.
        foreach (var (method, path) in new[]
                 {
                     (HttpMethod.Get, $"/api/recordings/{id}/verify"), (HttpMethod.Get, $"/api/recordings/{id}"), (HttpMethod.Get, "/api/recordings"),
                     (HttpMethod.Get, "/api/recordings/public-key"), (HttpMethod.Post, $"/api/recordings/{id}/hold"),
                     (HttpMethod.Delete, $"/api/recordings/{id}/hold"),
                     (HttpMethod.Get, "/api/audit"), (HttpMethod.Get, "/api/visits"),
                 })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(server, method, path + q));
        }
        // With a header the header decides: a bad header is not rescued by a good query.
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/api/recordings/{id}/media{q}"))
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "garbage");
            using var response = await server.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        // Audited exactly like header access: who, what, which recording.
        var audit = await AuditAsync(scenario);
        foreach (var what in new[] { "media", "journal", "export" })
        {
            Assert.Contains(audit, e => e.Action == "recording." + what && e.Actor == "inv-9" && e.Role == "investigator"
                && e.Target == "recording/" + id && e.Outcome == "not found");
        }
        Assert.Contains(audit, e => e.Actor == "i1" && e.Outcome == "forbidden: role" && e.Target == $"/api/recordings/{id}/media");

        // The logging really was turned up (endpoint lines are there), yet no URL with a token was printed.
        await Poll.UntilAsync(() => Task.FromResult(server.Log), log => log.Contains("Executing endpoint", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "the server to log at Information for Microsoft.AspNetCore");
        Assert.DoesNotContain(investigator, server.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("access_token", server.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_serves_the_review_page_and_its_script_and_style()
    {
        await using var scenario = await Scenario.StartAsync(output);
        var http = scenario.Server.Http;
        using var page = await http.GetAsync("/review");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("id=\"token\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        foreach (var (path, type) in new[] { ("/review.js", "text/javascript"), ("/review.css", "text/css") })
        {
            using var file = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, file.StatusCode);
            Assert.Equal(type, file.Content.Headers.ContentType?.MediaType);
        }
    }

    private static async Task<HttpStatusCode> StatusAsync(ServerProcess server, HttpMethod method, string path)
    {
        using var request = new HttpRequestMessage(method, path);
        using var response = await server.Http.SendAsync(request);
        return response.StatusCode;
    }

    private sealed record AuditEntry(long Seq, string Actor, string Role, string Action, string Target, string Outcome);

    private static async Task<List<AuditEntry>> AuditAsync(Scenario scenario)
    {
        var admin = await scenario.Server.MintTokenAsync("admin", "ops");
        using var response = await ReviewRecording.SendAsync(scenario.Server, HttpMethod.Get, "/api/audit", admin);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonSerializer.Deserialize<List<AuditEntry>>(await response.Content.ReadAsStringAsync(), JsonSerializerOptions.Web)!;
    }
}
