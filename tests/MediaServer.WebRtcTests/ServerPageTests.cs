using System.Net;
using MediaServer.Testing;
using MediaServer.Testing.WebRtc;
using MediaServer.WebRtcTests.Harness;
using Xunit.Abstractions;

namespace MediaServer.WebRtcTests;

/// <summary>The real server serves the /visit page, and every page's scripts and styles (common/ too) with their types.</summary>
public sealed class ServerPageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Server_serves_the_visit_page_and_its_script_and_style()
    {
        await using var scenario = await Scenario.StartAsync(output);
        var http = scenario.Server.Http;

        using var page = await http.GetAsync("/visit");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("id=\"token\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // The pages are ES modules loaded from files under the strict policy (no inline script or style, only this server).
        var policy = string.Join(' ', page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("style-src 'self'", policy, StringComparison.Ordinal);
        var scripts = Directory.GetFiles(RepoLayout.WwwRoot, "*.js", SearchOption.AllDirectories);
        var styles = Directory.GetFiles(RepoLayout.WwwRoot, "*.css", SearchOption.AllDirectories);
        Assert.Contains(scripts, f => f.EndsWith(Path.Combine("common", "webrtc.js"), StringComparison.Ordinal));
        // A module script must come with a JavaScript MIME type (HTML §4.12.1.1), or the browser refuses it.
        foreach (var (file, type) in scripts.Select(f => (f, "text/javascript")).Concat(styles.Select(f => (f, "text/css"))))
        {
            var path = "/" + Path.GetRelativePath(RepoLayout.WwwRoot, file).Replace(Path.DirectorySeparatorChar, '/');
            using var served = await http.GetAsync(path);
            Assert.True(served.StatusCode == HttpStatusCode.OK, $"{path} → {(int)served.StatusCode}");
            Assert.Equal(type, served.Content.Headers.ContentType?.MediaType);
        }
    }
}
