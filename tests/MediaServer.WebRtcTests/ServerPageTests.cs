using System.Net;
using MediaServer.WebRtcTests.Harness;
using Xunit.Abstractions;

namespace MediaServer.WebRtcTests;

/// <summary>The real server serves the /visit page and its two files (docs/api.md, "Pages").</summary>
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
        foreach (var (path, type) in new[] { ("/visit.js", "text/javascript"), ("/visit.css", "text/css") })
        {
            using var file = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, file.StatusCode);
            Assert.Equal(type, file.Content.Headers.ContentType?.MediaType);
        }
    }
}
