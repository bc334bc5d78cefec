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

    private readonly List<ServerProcess> _retired = [];

    public ServerProcess Server { get; private set; }
    public VisitApi Api { get; private set; }
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
    /// <param name="extraUrls">More addresses for the server beside its loopback HTTP one (an https:// one), ';'-separated.</param>
    public static async Task<Scenario> StartAsync(ITestOutputHelper output, IReadOnlyDictionary<string, string>? settings = null,
        [CallerMemberName] string test = "", string? extraUrls = null)
    {
        var artifacts = RepoLayout.ArtifactsFor(test);
        var server = await ServerProcess.StartAsync(output, rootDirectory: null, settings, extraUrls: extraUrls);
        server.ArtifactsDirectory = artifacts;
        return new Scenario(output, server, artifacts);
    }

    public async Task<ChromiumBrowser> ChromiumAsync() => _chromium ??= await ChromiumBrowser.LaunchAsync(_output);

    /// <summary>Opens the server's /visit page as the holder of <paramref name="token"/> (a kiosk opens it exactly like this).</summary>
    /// <param name="at">The server's address the page is opened at (its loopback HTTP one unless given, e.g. an https:// one).</param>
    public async Task<VisitPage> OpenVisitAsync(string token, string name, Func<Microsoft.Playwright.IPage, Task>? prepare = null,
        VisitPage? tabBeside = null, Uri? at = null, Microsoft.Playwright.ViewportSize? viewport = null) =>
        await (await ChromiumAsync()).OpenAsync(new Uri(at ?? Server.BaseAddress, "/visit?token=" + Uri.EscapeDataString(token)), name, prepare,
            tabBeside, viewport);

    /// <summary>
    /// Opens /visit with the server's answers (the join's and each ICE restart's) rewritten so that the browser's whole WebRTC
    /// leg goes through <paramref name="proxy"/>.
    /// </summary>
    public Task<VisitPage> OpenVisitThroughAsync(UdpImpairmentProxy proxy, string token, string name) =>
        OpenVisitAsync(token, name, async page =>
        {
            await page.RouteAsync("**/api/visits/*/join", route => RewriteAsync(route, proxy, 201));
            await page.RouteAsync("**/api/visits/*/legs/*", route => route.Request.Method == "PATCH"
                ? RewriteAsync(route, proxy, 200)
                : route.ContinueAsync());
        });

    private static async Task RewriteAsync(Microsoft.Playwright.IRoute route, UdpImpairmentProxy proxy, int answered)
    {
        Microsoft.Playwright.IAPIResponse response;
        try
        {
            response = await route.FetchAsync();
        }
        catch (Microsoft.Playwright.PlaywrightException)
        {
            await route.AbortAsync(); // The server is down (a restart test): the page sees what it would, a failed fetch.
            return;
        }
        var body = await response.TextAsync();
        if (response.Status == answered)
        {
            body = proxy.RewriteAnswer(body);
        }
        await route.FulfillAsync(new Microsoft.Playwright.RouteFulfillOptions { Response = response, Body = body });
    }

    /// <summary>
    /// The opening steps of most page tests: a visit open now, the kiosk page and the visitor page (its leg through
    /// <paramref name="visitorThrough"/> when given), both connected and each decoding <paramref name="frames"/> frames of the other.
    /// </summary>
    public async Task<(TestVisit Visit, VisitPage Kiosk, VisitPage Visitor)> OpenConnectedPairAsync(UdpImpairmentProxy? visitorThrough = null,
        int frames = 10, TestVisit? visit = null)
    {
        visit ??= await Api.CreateVisitAsync(visitors: 1);
        var kiosk = await OpenVisitAsync(visit.KioskToken, "kiosk");
        var visitor = visitorThrough is null
            ? await OpenVisitAsync(visit.VisitorTokens[0], "visitor")
            : await OpenVisitThroughAsync(visitorThrough, visit.VisitorTokens[0], "visitor");
        await kiosk.WaitForStateAsync("connected", PairConnect);
        await visitor.WaitForStateAsync("connected", PairConnect);
        if (frames > 0)
        {
            await visitor.WaitForFramesAsync(frames, PairMedia);
            await kiosk.WaitForFramesAsync(frames, PairMedia);
        }
        return (visit, kiosk, visitor);
    }

    private static readonly TimeSpan PairConnect = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PairMedia = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Kills the server (SIGKILL, a crash) or stops it (SIGTERM, a deploy) and starts it again on the same ports and data
    /// (<see cref="ServerProcess.StartAgainAsync"/>): returns once the new one answers /healthz; it is <see cref="Server"/> from then on.
    /// </summary>
    public async Task<ServerProcess> RestartServerAsync(bool kill)
    {
        var old = Server;
        if (kill)
        {
            await old.KillAsync();
        }
        else
        {
            await old.StopGracefullyAsync();
        }
        var next = await old.StartAgainAsync();
        next.ArtifactsDirectory = Directory.CreateDirectory(Path.Combine(Artifacts, $"restart-{_retired.Count + 1}")).FullName;
        _retired.Add(old);
        Server = next;
        Api = new VisitApi(next);
        return next;
    }

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
        foreach (var retired in _retired)
        {
            await retired.DisposeAsync();
        }
    }
}
