using Microsoft.Playwright;
using Xunit.Abstractions;

namespace MediaServer.Testing.WebRtc;

/// <summary>
/// Debian's Chromium driven by Playwright (docs/peers.md, "Chromium"). Never Playwright's own browser download. Each page gets its
/// own browser context, like two people on two devices.
/// </summary>
public sealed class ChromiumBrowser : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/bin/chromium";

    /// <summary>Exactly the flags of docs/peers.md: fake camera and microphone, no permission prompt, loopback candidates allowed.</summary>
    public static readonly string[] Arguments =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream", "--allow-loopback-in-peer-connection",
    ];

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly ITestOutputHelper _output;
    private readonly List<VisitPage> _pages = [];

    private ChromiumBrowser(IPlaywright playwright, IBrowser browser, ITestOutputHelper output)
    {
        _playwright = playwright;
        _browser = browser;
        _output = output;
    }

    /// <param name="extraArguments">More Chromium flags after <see cref="Arguments"/> (e.g. a host resolver rule for a test name).</param>
    public static async Task<ChromiumBrowser> LaunchAsync(ITestOutputHelper output, params string[] extraArguments)
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException($"{ExecutablePath} is missing: run scripts/setup.sh --test (installs Debian's chromium).");
        }
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ExecutablePath,
                Headless = true,
                Args = [.. Arguments, .. extraArguments],
                Timeout = 60_000,
            });
            output.WriteLine($"chromium {browser.Version}");
            return new ChromiumBrowser(playwright, browser, output);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <param name="prepare">Runs on the new page before it loads (e.g. routes that rewrite the join's offer or answer).</param>
    /// <param name="viewport">The window's size (720×900 unless given; 390×844 is a phone).</param>
    /// <param name="pastCheck">A family's page that opens with its device check (/visit with a visitor's code) presses its
    /// "Join visit" as a person would; false leaves the page at the check.</param>
    public async Task<VisitPage> OpenAsync(Uri url, string name, Func<IPage, Task>? prepare = null, VisitPage? tabBeside = null,
        ViewportSize? viewport = null, bool pastCheck = true)
    {
        // A page of its own browser profile (its own storage: another device to the server), or a new tab beside another page
        // (the same profile and storage, as a family's second tab is). The certificates of HTTPS tests are made by the test
        // (self-signed), so the profile accepts them.
        var context = tabBeside?.Context ?? await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = viewport ?? new ViewportSize { Width = 720, Height = 900 },
            IgnoreHTTPSErrors = true,
        });
        var page = await context.NewPageAsync();
        var visitPage = new VisitPage(name, context, page, _output);
        _pages.Add(visitPage);
        if (prepare is not null)
        {
            await prepare(page);
        }
        var response = await page.GotoAsync(url.ToString(), new PageGotoOptions { WaitUntil = WaitUntilState.Load, Timeout = 30_000 });
        if (response is null || !response.Ok)
        {
            throw new InvalidOperationException($"{name}: GET {url.AbsolutePath} → {response?.Status.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no response"}");
        }
        if (pastCheck && url.AbsolutePath == "/visit" && url.Query.Contains("token=", StringComparison.Ordinal))
        {
            await visitPage.JoinPastCheckAsync();
        }
        return visitPage;
    }

    public async ValueTask DisposeAsync()
    {
        // Chromium, its renderers and Playwright's node driver are all descendants of this test process until closed.
        var mine = ProcessTree.Descendants(Environment.ProcessId)
            .Where(e => e.Executable.StartsWith("/usr/lib/chromium", StringComparison.Ordinal)
                || e.Executable.Contains(".playwright", StringComparison.Ordinal))
            .ToList();
        foreach (var page in _pages)
        {
            await page.CloseAsync();
        }
        try
        {
            await _browser.CloseAsync();
        }
        catch (PlaywrightException e)
        {
            _output.WriteLine($"chromium close: {e.Message}");
        }
        _playwright.Dispose();
        var killed = await KillStragglersAsync(mine);
        if (killed > 0)
        {
            _output.WriteLine($"chromium: killed {killed} process(es) that outlived the browser.");
        }
    }

    private static async Task<int> KillStragglersAsync(List<ProcessTree.Entry> entries)
    {
        // Give a closing browser a moment to take its children down by itself, then kill by pid what is left.
        try
        {
            await Poll.UntilAsync(() => Task.FromResult(entries.Count(ProcessTree.IsAlive)), alive => alive == 0,
                TimeSpan.FromSeconds(5), "chromium processes to exit");
            return 0;
        }
        catch (TimeoutException)
        {
            return ProcessTree.KillSurvivors(entries);
        }
    }
}
