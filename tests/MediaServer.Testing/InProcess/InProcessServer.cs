using MediaServer.Auth;
using MediaServer.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace MediaServer.Testing.InProcess;

/// <summary>
/// The whole server composed as <see cref="ServerHost"/> composes it, but in this process on a test server (no Kestrel, no
/// child process): for fast tests of control-plane decisions (visits, tokens, joins, taps). Its own data and key folders,
/// RTP range and WebRTC port (the legs still bind real UDP sockets), and a <see cref="TestClock"/> as the server's time.
/// </summary>
public sealed class InProcessServer : IAsyncDisposable
{
    public const int RtpPortCount = 40;

    private readonly WebApplication _app;
    private readonly int _rtpPortMin;
    private readonly int _webRtcPort;
    private bool _disposed;

    private InProcessServer(WebApplication app, TestClock clock, string rootDirectory, int rtpPortMin, int webRtcPort)
    {
        _app = app;
        Clock = clock;
        RootDirectory = rootDirectory;
        _rtpPortMin = rtpPortMin;
        _webRtcPort = webRtcPort;
        Api = new MediaServerApi(app.GetTestClient());
    }

    /// <summary>The typed API client, over the test server.</summary>
    public MediaServerApi Api { get; }

    /// <summary>What the server reads as now; <see cref="TestClock.Advance"/> moves it.</summary>
    public TestClock Clock { get; }

    public IServiceProvider Services => _app.Services;

    public string RootDirectory { get; }

    /// <param name="settings">Configuration over the defaults, keyed as in appsettings (MediaServer:Visits:MaxVisitors).</param>
    /// <param name="services">Replaces or adds services after the server's own registrations (the last registration wins).</param>
    public static async Task<InProcessServer> StartAsync(IReadOnlyDictionary<string, string>? settings = null,
        Action<IServiceCollection>? services = null)
    {
        var root = Path.Combine(Path.GetTempPath(), "mediaserver-inproc", Guid.NewGuid().ToString("n")[..12]);
        Directory.CreateDirectory(root);
        var rtpMin = PortAllocator.FreeServerUdpRange(RtpPortCount);
        var webRtcPort = PortAllocator.FreeServerUdpPort();
        var configuration = ServerSettings.For(root, rtpMin, RtpPortCount, webRtcPort);
        configuration["Logging:LogLevel:Default"] = "Warning";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            configuration[key] = value;
        }

        var clock = new TestClock();
        WebApplication? app = null;
        try
        {
            // Command-line configuration: read by ServerHost while it composes, before the app is built.
            app = ServerHost.Build([.. configuration.Select(setting => $"--{setting.Key}={setting.Value}")], builder =>
            {
                builder.WebHost.UseTestServer();
                builder.Services.AddSingleton<TimeProvider>(clock);
                services?.Invoke(builder.Services);
            });
            await app.StartAsync();
            return new InProcessServer(app, clock, root, rtpMin, webRtcPort);
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            Release(rtpMin, webRtcPort, root);
            throw;
        }
    }

    /// <summary>A staff or scheduler token signed by this server's key, as the token CLI prints (valid from real now).</summary>
    public string MintToken(string role, string subject, TimeSpan? lifetime = null)
    {
        var now = DateTimeOffset.UtcNow;
        return Services.GetRequiredService<TokenIssuer>().Issue(role, subject, null, now, now + (lifetime ?? TimeSpan.FromHours(1))).Token;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Api.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Release(_rtpPortMin, _webRtcPort, RootDirectory);
    }

    private static void Release(int rtpMin, int webRtcPort, string root)
    {
        PortAllocator.Release(rtpMin, RtpPortCount);
        PortAllocator.Release(webRtcPort, 1);
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
