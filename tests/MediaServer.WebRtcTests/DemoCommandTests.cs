using MediaServer.Testing;
using MediaServer.Testing.WebRtc;
using MediaServer.WebRtcTests.Harness;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace MediaServer.WebRtcTests;

/// <summary>
/// <c>demo</c> against the running server prints four links that work as printed: the kiosk and visitor links, opened in
/// Chromium, see each other; the officer link signs the console in and lists the demo visit; the review link opens the review
/// page signed in. The staff tokens leave the address bar once used.
/// </summary>
public sealed class DemoCommandTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Connect = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Demo_prints_kiosk_visitor_officer_and_review_links_that_work_in_chromium()
    {
        await using var scenario = await Scenario.StartAsync(output);
        var demo = await scenario.Server.RunCliAsync(["demo"]);
        output.WriteLine(demo.ToString());
        Assert.True(demo.ExitCode == 0, demo.ToString());
        Uri Link(string label) => new(demo.StdoutText.Split('\n').Single(l => l.TrimStart().StartsWith(label, StringComparison.Ordinal)).Split(' ')[^1].Trim());
        var (kioskUrl, visitorUrl, officerUrl, reviewUrl) = (Link("kiosk"), Link("visitor"), Link("officer console"), Link("review"));

        var chromium = await scenario.ChromiumAsync();
        var kiosk = await chromium.OpenAsync(kioskUrl, "demo-kiosk");
        var visitor = await chromium.OpenAsync(visitorUrl, "demo-visitor");
        await kiosk.WaitForStateAsync("connected", Connect);
        await visitor.WaitForStateAsync("connected", Connect);
        await kiosk.WaitForFramesAsync(10, Connect);
        await visitor.WaitForFramesAsync(10, Connect);

        var console = await chromium.OpenAsync(officerUrl, "demo-officer");
        await console.Page.WaitForSelectorAsync("#visits li[data-visit-id]", new PageWaitForSelectorOptions { Timeout = 20_000 });
        Assert.Contains("Demo Inmate", await console.Page.InnerTextAsync("#visits"), StringComparison.Ordinal);
        Assert.DoesNotContain("token=", console.Page.Url, StringComparison.Ordinal);

        var review = await chromium.OpenAsync(reviewUrl, "demo-review");
        await review.Page.WaitForSelectorAsync("body[data-state='ready']", new PageWaitForSelectorOptions { Timeout = 20_000 });
        Assert.DoesNotContain("token=", review.Page.Url, StringComparison.Ordinal);
        foreach (var page in new[] { kiosk, visitor, console, review })
        {
            ChromiumInteropTests.AssertNoScriptErrors(page);
        }
    }
}
