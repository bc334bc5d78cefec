using System.Runtime.CompilerServices;
using MediaServer.Testing;
using MediaServer.Testing.WebRtc;
using Xunit.Abstractions;

namespace MediaServer.WebRtcTests.Harness;

/// <summary>One test's world: a fresh server, its API, Chromium on demand, and a folder for artifacts. Torn down in reverse.</summary>
internal sealed class Scenario : IAsyncDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly List<IAsyncDisposable> _owned = [];
    private ChromiumBrowser? _chromium;

    public ServerProcess Server { get; }
    public VisitApi Api { get; }
    public string Artifacts { get; }

    private Scenario(ITestOutputHelper output, ServerProcess server, string artifacts)
    {
        _output = output;
        Server = server;
        Api = new VisitApi(server);
        Artifacts = artifacts;
    }

    /// <param name="settings">Server environment over the defaults (see <see cref="ServerProcess.StartAsync(ITestOutputHelper, string?, IReadOnlyDictionary{string, string}?, int, string?)"/>).</param>
    /// <param name="test">Names the artifacts folder; a test with several scenarios passes a distinct name for each.</param>
    public static async Task<Scenario> StartAsync(ITestOutputHelper output, IReadOnlyDictionary<string, string>? settings = null,
        [CallerMemberName] string test = "")
    {
        var artifacts = RepoLayout.ArtifactsFor(test);
        var server = await ServerProcess.StartAsync(output, rootDirectory: null, settings);
        server.ArtifactsDirectory = artifacts;
        return new Scenario(output, server, artifacts);
    }

    public async Task<ChromiumBrowser> ChromiumAsync() => _chromium ??= await ChromiumBrowser.LaunchAsync(_output);

    /// <summary>Opens the server's /visit page as the holder of <paramref name="token"/> (a kiosk opens it exactly like this).</summary>
    public async Task<VisitPage> OpenVisitAsync(string token, string name, Func<Microsoft.Playwright.IPage, Task>? prepare = null) =>
        await (await ChromiumAsync()).OpenAsync(new Uri(Server.BaseAddress, "/visit?token=" + Uri.EscapeDataString(token)), name, prepare);

    /// <summary>
    /// Opens /visit with the server's answer rewritten so that the browser's whole WebRTC leg goes through <paramref name="proxy"/>.
    /// </summary>
    public Task<VisitPage> OpenVisitThroughAsync(UdpImpairmentProxy proxy, string token, string name) =>
        OpenVisitAsync(token, name, page => page.RouteAsync("**/api/visits/*/join", async route =>
        {
            var response = await route.FetchAsync();
            var body = await response.TextAsync();
            if (response.Status == 201)
            {
                body = proxy.RewriteAnswer(body);
            }
            await route.FulfillAsync(new Microsoft.Playwright.RouteFulfillOptions { Response = response, Body = body });
        }));

    /// <summary>GET /metrics (the harness's admin token): one sample's value as written (name{labels}), 0 when absent.</summary>
    public async Task<long> MetricAsync(string sample) =>
        (await Server.Api.GetMetricsAsync()).Series.TryGetValue(sample, out var value) ? (long)value : 0;

    /// <summary>Something else to dispose with the scenario (before the browser and the server).</summary>
    public T Own<T>(T disposable) where T : IAsyncDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    public void Log(string line) => _output.WriteLine(line);

    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }
        if (_chromium is not null)
        {
            await _chromium.DisposeAsync();
        }
        await Server.DisposeAsync();
    }
}
