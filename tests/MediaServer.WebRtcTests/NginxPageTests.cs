using MediaServer.Testing;
using MediaServer.Testing.WebRtc;
using MediaServer.WebRtcTests.Harness;
using Xunit.Abstractions;

namespace MediaServer.WebRtcTests;

/// <summary>
/// docs/deploy.md's "Behind nginx" layout with browsers: Debian's nginx terminates TLS and proxies the pages and the API; the
/// media goes straight to the server's WebRTC port over UDP, as the deploy guide says. A Chromium kiosk and visitor opened at
/// nginx's https:// address are secure contexts, join and see each other, and the server audits each join from the address
/// nginx forwarded.
/// </summary>
public sealed class NginxPageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Connect = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_chromium_visit_through_nginx_connects_and_both_pages_see_each_other()
    {
        await using var scenario = await Scenario.StartAsync(output, new Dictionary<string, string>
        {
            ["MediaServer__Proxy__KnownProxies__0"] = NginxProxy.ProxySourceAddress,
        });
        await using var proxy = await NginxProxy.StartAsync(scenario.Server.HttpPort);
        var visit = await scenario.Api.CreateVisitAsync(visitors: 1);
        var kiosk = await scenario.OpenVisitAsync(visit.KioskToken, "kiosk-via-nginx", at: proxy.BaseAddress);
        var visitor = await scenario.OpenVisitAsync(visit.VisitorTokens[0], "visitor-via-nginx", at: proxy.BaseAddress);
        await kiosk.WaitForStateAsync("connected", Connect);
        await visitor.WaitForStateAsync("connected", Connect);
        await kiosk.WaitForFramesAsync(30, Connect);
        await visitor.WaitForFramesAsync(30, Connect);

        foreach (var page in new[] { kiosk, visitor })
        {
            Assert.StartsWith(proxy.BaseAddress.ToString(), page.Page.Url, StringComparison.Ordinal);
            Assert.True(await page.Page.EvaluateAsync<bool>("() => window.isSecureContext"), $"{page.Name} is not a secure context");
            ChromiumInteropTests.AssertNoScriptErrors(page);
        }
        // nginx passed the joins on: the server saw them come through the proxy, from the browser's address as nginx forwarded it.
        var joins = (await scenario.Server.Api.GetAuditAsync(await scenario.Server.MintTokenAsync("admin", "ops")))
            .Where(e => e.Action == "visit.join").ToList();
        output.WriteLine(string.Join('\n', joins.Select(e => $"{e.Actor} {e.Outcome}")));
        Assert.Equal(2, joins.Count(e => e.Outcome!.StartsWith("ok", StringComparison.Ordinal) && e.Outcome.Contains("from 127.0.0.1", StringComparison.Ordinal)));
        Assert.DoesNotContain(joins, e => e.Outcome!.Contains(NginxProxy.ProxySourceAddress, StringComparison.Ordinal));
        Assert.Contains("/api/visits/" + visit.Id + "/join", proxy.AccessLog, StringComparison.Ordinal);
    }
}
