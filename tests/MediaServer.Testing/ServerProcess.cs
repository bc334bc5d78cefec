using System.Globalization;
using System.Net;
using MediaServer.Auth;
using MediaServer.Hosting;
using Microsoft.Extensions.Configuration;
using Xunit.Abstractions;

namespace MediaServer.Testing;

/// <summary>
/// The real MediaServer process: its own HTTP port, RTP range, WebRTC port and data directory per test (or load run), ready
/// once /healthz answers, killed with its whole process tree on dispose, its output copied to the test log (and to
/// <see cref="ArtifactsDirectory"/> when set).
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    public const int RtpPortCount = 200;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(20);

    private readonly ITestOutputHelper _output;
    private readonly ChildProcess _process;
    private readonly Dictionary<string, string> _environment;
    private readonly string _serverDll;
    private readonly int _rtpPortCount;
    private bool _disposed;

    private ServerProcess(
        ITestOutputHelper output,
        ChildProcess process,
        Dictionary<string, string> environment,
        string rootDirectory,
        int httpPort,
        int rtpPortMin,
        int rtpPortCount,
        int webRtcPort,
        string serverDll)
    {
        _serverDll = serverDll;
        _rtpPortCount = rtpPortCount;
        _output = output;
        _process = process;
        _environment = environment;
        RootDirectory = rootDirectory;
        HttpPort = httpPort;
        RtpPortMin = rtpPortMin;
        WebRtcPort = webRtcPort;
        BaseAddress = new Uri($"http://127.0.0.1:{httpPort}/");
        Api = new MediaServerApi(BaseAddress);
    }

    public Uri BaseAddress { get; }

    public int HttpPort { get; }

    public int RtpPortMin { get; }

    public int RtpPortMax => RtpPortMin + _rtpPortCount - 1;

    /// <summary>The one UDP port the server's WebRTC legs share (MediaServer:WebRtc:Port; its default would collide between parallel servers).</summary>
    public int WebRtcPort { get; }

    /// <summary>The per-test temp directory: <see cref="DataDirectory"/>, <see cref="KeyDirectory"/> and <see cref="WorkDirectory"/> live in it.</summary>
    public string RootDirectory { get; }

    public string DataDirectory => Path.Combine(RootDirectory, "data");

    /// <summary>Scratch space for peers (SDP files, recordings).</summary>
    public string WorkDirectory => Path.Combine(RootDirectory, "work");

    public string DatabasePath => Path.Combine(DataDirectory, "mediaserver.db");

    /// <summary>MediaServer:KeyDirectory: every key and the audit checkpoints, beside (never inside) the data directory.</summary>
    public string KeyDirectory => Path.Combine(RootDirectory, "keys");

    public string SigningKeyPath => Path.Combine(KeyDirectory, "jwt-signing.key");

    public string AuditCheckpointPath => Path.Combine(KeyDirectory, "audit-checkpoints.jsonl");

    public MediaServerApi Api { get; }

    /// <summary>The API's HTTP client, for calls no typed helper makes.</summary>
    public HttpClient Http => Api.Http;

    public ChildProcess Process => _process;

    /// <summary>Everything the server printed that the ring still holds (stdout and stderr, the last 5000 lines).</summary>
    public string Log => _process.Output.Render();

    /// <summary>Where <see cref="DisposeAsync"/> writes the server's whole retained log (server.log); null writes none.</summary>
    public string? ArtifactsDirectory { get; set; }

    public static Task<ServerProcess> StartAsync(ITestOutputHelper output) => StartAsync(output, rootDirectory: null, extraEnvironment: null);

    /// <param name="rootDirectory">Reuse this root (data and work folders) — a restart after a crash; null makes a fresh one.</param>
    /// <param name="extraEnvironment">More settings, e.g. MediaServer__Recording__Directory.</param>
    /// <param name="rtpPortCount">The size of the server's RTP range (the load generator needs more than a test).</param>
    /// <param name="serverDll">Another build of the server; null starts the one built with this run.</param>
    /// <param name="extraUrls">More addresses beside the loopback HTTP one (an https:// address, a proxy's view), ';'-separated.</param>
    public static async Task<ServerProcess> StartAsync(ITestOutputHelper output, string? rootDirectory,
        IReadOnlyDictionary<string, string>? extraEnvironment, int rtpPortCount = RtpPortCount, string? serverDll = null, string? extraUrls = null)
    {
        var dll = serverDll ?? RepoLayout.ServerDll;
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"The server build is missing (build the test project with its ProjectReference): {dll}", dll);
        }

        var root = rootDirectory ?? Path.Combine(Path.GetTempPath(), "mediaserver-it", Guid.NewGuid().ToString("n")[..12]);
        Directory.CreateDirectory(Path.Combine(root, "data"));
        Directory.CreateDirectory(Path.Combine(root, "work"));

        var httpPort = PortAllocator.FreeTcpPort();
        var rtpMin = PortAllocator.FreeServerUdpRange(rtpPortCount);
        var webRtcPort = PortAllocator.FreeServerUdpPort();
        var environment = ServerSettings.AsEnvironment(ServerSettings.For(root, rtpMin, rtpPortCount, webRtcPort));
        environment["DOTNET_NOLOGO"] = "1";
        environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (name, value) in extraEnvironment ?? new Dictionary<string, string>())
        {
            environment[name] = value;
            output.WriteLine($"server setting: {name}={value}");
        }

        output.WriteLine($"server: http {httpPort}, rtp {rtpMin}-{rtpMin + rtpPortCount - 1}, webrtc {webRtcPort}, data {root}/data");
        return await LaunchAsync(output, environment, root, httpPort, rtpMin, rtpPortCount, webRtcPort, dll, extraUrls);
    }

    /// <summary>
    /// Starts this server again after it exited (<see cref="KillAsync"/>, <see cref="StopGracefullyAsync"/>) on the same HTTP
    /// and WebRTC ports, RTP range, settings and root directory, as a restarted service would be: clients that hold its
    /// address (a page, a kiosk) find it where it was. The ports pass to the new instance (this one no longer releases them).
    /// </summary>
    /// <param name="changedSettings">Settings that differ in the new run (an operator's fix: the FFmpeg path, say).</param>
    public async Task<ServerProcess> StartAgainAsync(IReadOnlyDictionary<string, string>? changedSettings = null)
    {
        if (!_process.HasExited)
        {
            throw new InvalidOperationException("The server is still running; stop or kill it before starting it again.");
        }
        foreach (var (name, value) in changedSettings ?? new Dictionary<string, string>())
        {
            _environment[name] = value;
            _output.WriteLine($"server setting changed: {name}={value}");
        }
        KeepRootDirectory = true;
        _portsHandedOver = true;
        _output.WriteLine($"server started again: http {HttpPort}, rtp {RtpPortMin}-{RtpPortMax}, webrtc {WebRtcPort}, data {RootDirectory}/data");
        return await LaunchAsync(_output, _environment, RootDirectory, HttpPort, RtpPortMin, _rtpPortCount, WebRtcPort, _serverDll, _extraUrls);
    }

    private bool _portsHandedOver;
    private string? _extraUrls;

    private static async Task<ServerProcess> LaunchAsync(ITestOutputHelper output, Dictionary<string, string> environment, string root, int httpPort,
        int rtpMin, int rtpPortCount, int webRtcPort, string dll, string? extraUrls)
    {
        var process = ChildProcess.Start(
            "mediaserver",
            "dotnet",
            [dll, "--urls", $"http://127.0.0.1:{httpPort}" + (extraUrls is null ? "" : ";" + extraUrls)],
            environment,
            workingDirectory: Path.GetDirectoryName(dll),
            ringCapacity: 5000);

        var server = new ServerProcess(output, process, environment, root, httpPort, rtpMin, rtpPortCount, webRtcPort, dll) { _extraUrls = extraUrls };
        try
        {
            await server.WaitUntilHealthyAsync();
            // /metrics is for staff: the harness scrapes it with an admin token signed by the server's own key.
            var now = DateTimeOffset.UtcNow;
            server.Api.MetricsToken = Hs256Token.Sign(server.ReadSigningKey(), "admin", "harness-metrics", null, now.AddMinutes(-1), now.AddHours(6));
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A token signed with this server's key, as its token CLI prints it: a staff or scheduler token from this build is made
    /// here with the CLI's own steps (appsettings.json beside the server, then this server's settings; its key; its issuer),
    /// without a process per token; anything else (a visit, a participant role, another build) runs the CLI itself, which
    /// refuses what it must. The CLI's own behaviour is tested in CommandLineTests.
    /// </summary>
    public async Task<string> MintTokenAsync(string role, string sub, string? visit = null, TimeSpan? ttl = null)
    {
        if (visit is null && Roles.IsKnown(role) && !Roles.IsParticipant(role) && _serverDll == RepoLayout.ServerDll)
        {
            return MintHere(role, sub, ttl);
        }
        return await MintWithCliAsync(role, sub, visit, ttl);
    }

    private string MintHere(string role, string sub, TimeSpan? ttl)
    {
        var settings = new Dictionary<string, string?>();
        foreach (var (name, value) in _environment)
        {
            if (name.StartsWith("MediaServer__", StringComparison.Ordinal))
            {
                settings[name.Replace("__", ":", StringComparison.Ordinal)] = value;
            }
        }
        var configuration = new ConfigurationBuilder()
            .SetBasePath(Path.GetDirectoryName(_serverDll)!)
            .AddJsonFile("appsettings.json", optional: true)
            .AddInMemoryCollection(settings)
            .Build();
        var options = configuration.GetSection(MediaServerOptions.SectionName).Get<MediaServerOptions>() ?? new MediaServerOptions();
        if (!SigningKeys.TryRead(options.ResolveKeyDirectory(), out var secret, out var problem))
        {
            throw new InvalidOperationException($"No signing key for a token: {problem}");
        }
        var issuer = new TokenIssuer(new SigningKeys(secret), options.Auth, TimeProvider.System);
        var now = DateTimeOffset.UtcNow;
        return issuer.Issue(role, sub, null, now, now + (ttl ?? options.Auth.DefaultTokenLifetime)).Token;
    }

    private async Task<string> MintWithCliAsync(string role, string sub, string? visit, TimeSpan? ttl)
    {
        List<string> arguments = [_serverDll, "token", "--role", role, "--sub", sub];
        if (visit is not null)
        {
            arguments.AddRange(["--visit", visit]);
        }

        if (ttl is { } lifetime)
        {
            arguments.AddRange(["--ttl", lifetime.ToString("c", CultureInfo.InvariantCulture)]);
        }

        var result = await ProcessRunner.RunAsync("dotnet", arguments, CliTimeout, _environment, Path.GetDirectoryName(_serverDll));
        var lines = result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (result.ExitCode != 0 || lines.Length != 1 || lines[0].Split('.').Length != 3)
        {
            throw new InvalidOperationException($"The token CLI did not print exactly one JWT line:\n{result}");
        }

        return lines[0];
    }

    /// <summary>
    /// Runs one of the server binary's commands (<c>visit list</c>, <c>demo</c>, …) with this server's settings (its data and key
    /// directories), pointed at this server with <c>--server</c> when <paramref name="atServer"/>.
    /// </summary>
    public Task<ProcessResult> RunCliAsync(IReadOnlyList<string> arguments, bool atServer = true) =>
        ProcessRunner.RunAsync("dotnet", [_serverDll, .. arguments, .. (atServer ? new[] { "--server", BaseAddress.ToString() } : [])], CliTimeout,
            _environment, Path.GetDirectoryName(_serverDll));

    /// <summary>The 32-byte HS256 key the server signs with, for tests that must forge (expired) tokens.</summary>
    public byte[] ReadSigningKey() => Convert.FromBase64String(File.ReadAllText(SigningKeyPath).Trim());

    public void WriteLog(string heading)
    {
        _output.WriteLine(heading);
        _output.WriteLine(_process.Describe(maxLines: 400));
    }

    /// <summary>Leave the root directory on disk at dispose (a test restarts a server on it).</summary>
    public bool KeepRootDirectory { get; set; }

    /// <summary>SIGKILL, as a crash: no shutdown code runs. The root directory stays for a restart.</summary>
    public async Task KillAsync()
    {
        KeepRootDirectory = true;
        _process.Kill();
        await _process.WaitForExitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>
    /// SIGTERM, as a service manager stops the server: its shutdown code runs (journals are sealed). The root directory stays
    /// for a restart.
    /// </summary>
    public async Task StopGracefullyAsync()
    {
        KeepRootDirectory = true;
        var sent = await ProcessRunner.RunAsync("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)],
            TimeSpan.FromSeconds(10), new Dictionary<string, string>(), null);
        if (sent.ExitCode != 0)
        {
            throw new InvalidOperationException("kill -TERM failed: " + sent);
        }
        if (!await _process.WaitForExitAsync(TimeSpan.FromSeconds(60)))
        {
            throw new TimeoutException("the server did not stop within 60 s of SIGTERM:\n" + _process.Describe(maxLines: 200));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Api.Dispose();
        await _process.DisposeAsync();
        // The process (and its sockets) is gone: its ports may serve a later test's server (unless it was started again on them).
        if (!_portsHandedOver)
        {
            PortAllocator.Release(RtpPortMin, _rtpPortCount);
            PortAllocator.Release(WebRtcPort, 1);
        }
        if (ArtifactsDirectory is not null)
        {
            await File.WriteAllTextAsync(Path.Combine(ArtifactsDirectory, "server.log"), _process.Describe(maxLines: int.MaxValue));
        }

        try
        {
            _output.WriteLine(_process.Describe(maxLines: 400));
        }
        catch (InvalidOperationException)
        {
            // No test is active any more (disposed from a fixture); nothing to write to.
        }

        try
        {
            if (!KeepRootDirectory)
            {
                Directory.Delete(RootDirectory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private async Task WaitUntilHealthyAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + StartTimeout;
        string last = "no answer yet";
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The server exited during start-up:\n{_process.Describe()}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri("healthz", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                last = $"HTTP {(int)response.StatusCode}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException e)
            {
                last = e.Message;
            }

            // Often: a refused connect costs nothing, and every test waits for this.
            await Task.Delay(TimeSpan.FromMilliseconds(20));
        }

        throw new TimeoutException($"/healthz did not return 200 within {StartTimeout} (last: {last}):\n{_process.Describe()}");
    }
}
