using System.Runtime.CompilerServices;
using Xunit.Abstractions;

namespace MediaServer.WebRtcTests.Harness;

/// <summary>One test's world: a fresh server, its API, Chromium on demand, and a folder for artifacts. Torn down in reverse.</summary>
internal sealed class Scenario : IAsyncDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly List<IAsyncDisposable> _owned = [];
    private ChromiumBrowser? _chromium;

    public MediaServerProcess Server { get; }
    public VisitApi Api { get; }
    public string Artifacts { get; }

    private Scenario(ITestOutputHelper output, MediaServerProcess server, string artifacts)
    {
        _output = output;
        Server = server;
        Api = new VisitApi(server);
        Artifacts = artifacts;
    }

    public static async Task<Scenario> StartAsync(ITestOutputHelper output, [CallerMemberName] string test = "",
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var server = await MediaServerProcess.StartAsync(output, test, environment);
        return new Scenario(output, server, RepoPaths.ArtifactsFor(test));
    }

    public async Task<ChromiumBrowser> ChromiumAsync() => _chromium ??= await ChromiumBrowser.LaunchAsync(_output);

    /// <summary>Opens the server's /visit page as the holder of <paramref name="token"/> (a kiosk opens it exactly like this).</summary>
    public async Task<VisitPage> OpenVisitAsync(string token, string name) =>
        await (await ChromiumAsync()).OpenAsync(new Uri(Server.BaseAddress, "/visit?token=" + Uri.EscapeDataString(token)), name);

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
