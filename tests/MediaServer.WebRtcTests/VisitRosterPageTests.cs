using MediaServer.Testing;
using MediaServer.Testing.WebRtc;
using MediaServer.WebRtcTests.Harness;
using Xunit.Abstractions;

namespace MediaServer.WebRtcTests;

/// <summary>
/// The /visit page against the real server: every party sees who is in the visit; the browser that first used a join code
/// rejoins after a reload, and another browser with a copy of it is told plainly that the code is in use elsewhere.
/// </summary>
public sealed class VisitRosterPageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Connect = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_page_shows_the_roster_rejoins_after_a_reload_and_a_copied_code_elsewhere_is_refused()
    {
        await using var scenario = await Scenario.StartAsync(output);
        var (visit, kiosk, visitor) = await scenario.OpenConnectedPairAsync(frames: 1);

        foreach (var page in new[] { kiosk, visitor })
        {
            await Poll.UntilAsync(() => RosterTextAsync(page), t => t.Contains("Inmate One", StringComparison.Ordinal)
                && t.Contains("Visitor 1", StringComparison.Ordinal) && CountOf(t, "connected, sends and receives") == 2, Connect,
                $"the {page.Name} page to list both parties as connected");
        }
        Assert.Contains("Visitor 1 (you)", await RosterTextAsync(visitor), StringComparison.Ordinal);
        Assert.Contains("Inmate One (you)", await RosterTextAsync(kiosk), StringComparison.Ordinal);
        await kiosk.ScreenshotAsync(scenario.Artifacts);

        // A reload: the same browser opens the join link again and is the same device.
        await visitor.Page.GotoAsync(new Uri(scenario.Server.BaseAddress, "/visit?token=" + Uri.EscapeDataString(visit.VisitorTokens[0])).ToString());
        await visitor.WaitForStateAsync("connected", Connect);

        // Another browser (its own storage) with a copy of the code: refused in plain words; the visit goes on.
        var copy = await scenario.OpenVisitAsync(visit.VisitorTokens[0], "copy");
        await copy.WaitForStateAsync("ended", Connect);
        Assert.StartsWith("This join code is in use on another device", await copy.EndedTextAsync(), StringComparison.Ordinal);
        Assert.Equal("connected", await visitor.StateAsync());
        Assert.Equal("connected", await kiosk.StateAsync());
        await Poll.UntilAsync(() => RosterTextAsync(kiosk), t => CountOf(t, "connected, sends and receives") == 2, Connect,
            "the kiosk to still list the visitor as connected");
        ChromiumInteropTests.AssertNoScriptErrors(kiosk);
        ChromiumInteropTests.AssertNoScriptErrors(visitor);
    }

    /// <summary>
    /// Two tabs of one browser share the join code and the client instance, so the server cannot tell them apart: the second
    /// tab says the visit is open in another tab and stops, rather than taking the seat from the first in a loop.
    /// </summary>
    [Fact]
    public async Task A_second_tab_with_the_same_join_code_says_the_visit_is_open_elsewhere_and_leaves_the_first_alone()
    {
        await using var scenario = await Scenario.StartAsync(output);
        var (visit, kiosk, visitor) = await scenario.OpenConnectedPairAsync(frames: 10);
        var legBefore = await visitor.Page.EvaluateAsync<string>("() => String(window.visitLeg)");

        var tab = await visitor.Page.Context.NewPageAsync();
        await tab.GotoAsync(new Uri(scenario.Server.BaseAddress, "/visit?token=" + Uri.EscapeDataString(visit.VisitorTokens[0])).ToString());
        var second = new VisitPage("second tab", visitor.Page.Context, tab, output);
        await second.WaitForStateAsync("ended", Connect);
        Assert.StartsWith("This visit is open in another tab", await second.EndedTextAsync(), StringComparison.Ordinal);

        // The first tab keeps its leg and its picture; the second never joined.
        var frames = (await visitor.StatsAsync())!.FramesDecoded;
        await visitor.WaitForFramesAsync(frames + 30, Connect);
        Assert.Equal("connected", await visitor.StateAsync());
        Assert.Equal(legBefore, await visitor.Page.EvaluateAsync<string>("() => String(window.visitLeg)"));
        Assert.Equal("undefined", await tab.EvaluateAsync<string>("() => String(window.visitLeg)")); // never joined
        var audit = await scenario.Server.Api.GetAuditAsync(await scenario.Server.MintTokenAsync("admin", "ops"));
        // Two joins in all: the kiosk's and the first tab's.
        Assert.Equal(2, audit.Count(e => e.Action == "visit.join" && e.Outcome!.StartsWith("ok", StringComparison.Ordinal)
            && e.Target!.StartsWith($"visit/{visit.Id}/legs/", StringComparison.Ordinal)));
        ChromiumInteropTests.AssertNoScriptErrors(kiosk);
    }

    private static Task<string> RosterTextAsync(VisitPage page) =>
        page.Page.EvaluateAsync<string>("() => document.getElementById('roster').hidden ? '' : document.getElementById('roster-list').innerText");

    private static int CountOf(string text, string what)
    {
        var count = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }
}
