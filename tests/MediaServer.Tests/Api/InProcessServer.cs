using MediaServer.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace MediaServer.Tests.Api;

/// <summary>
/// The whole server in this process (ServerHost.Build, as Program runs it) on a free loopback port, with its data and keys
/// in a temporary folder and the WebRTC port on any free port: for tests of what the HTTP surface serves.
/// </summary>
public sealed class InProcessServer : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("surface-").FullName;
    private WebApplication? _app;

    public HttpClient Client { get; private set; } = new();

    public async Task InitializeAsync()
    {
        _app = ServerHost.Build(
        [
            "--urls", "http://127.0.0.1:0",
            "--MediaServer:DataDirectory=" + Path.Combine(_root, "data"),
            "--MediaServer:KeyDirectory=" + Path.Combine(_root, "keys"),
            "--MediaServer:WebRtc:Port=0",
            "--MediaServer:Recording:Enabled=false",
        ]);
        await _app.StartAsync();
        // Port 0: the server takes a free port when it binds, and says which.
        var address = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        Client = new HttpClient { BaseAddress = new Uri(address) };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        Directory.Delete(_root, recursive: true);
    }
}
