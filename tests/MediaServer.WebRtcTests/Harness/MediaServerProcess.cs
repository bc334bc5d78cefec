using System.Net;
using Xunit.Abstractions;

namespace MediaServer.WebRtcTests.Harness;

/// <summary>
/// The real server, started as its own process on free loopback ports with a fresh data directory (README.md, "Configuration"), plus
/// the shared WebRTC UDP port (MediaServer__WebRtc__Port). Disposing kills it and copies its log to the test output.
/// </summary>
internal sealed class MediaServerProcess : IAsyncDisposable
{
    private readonly ExternalProcess _process;
    private readonly ITestOutputHelper _output;
    private readonly string _artifacts;

    public Uri BaseAddress { get; }
    public string DataDirectory { get; }
    public int WebRtcPort { get; }
    public int RtpPortMin { get; }
    public HttpClient Http { get; }

    private MediaServerProcess(ExternalProcess process, ITestOutputHelper output, string artifacts, Uri baseAddress,
        string dataDirectory, int webRtcPort, int rtpPortMin)
    {
        _process = process;
        _output = output;
        _artifacts = artifacts;
        BaseAddress = baseAddress;
        DataDirectory = dataDirectory;
        WebRtcPort = webRtcPort;
        RtpPortMin = rtpPortMin;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(15) };
    }

    /// <summary>Everything the server printed so far (stdout and stderr).</summary>
    public string Log => _process.Output;

    /// <param name="settings">Extra environment for this server (e.g. MediaServer__WebRtc__Nack=false), over the defaults.</param>
    public static async Task<MediaServerProcess> StartAsync(ITestOutputHelper output, string testName,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        if (!File.Exists(RepoPaths.ServerDll))
        {
            throw new FileNotFoundException("The server is not built; the test project's ProjectReference should have built it.", RepoPaths.ServerDll);
        }
        var dataDirectory = Directory.CreateTempSubdirectory("webrtc-tests-").FullName;
        var httpPort = FreePorts.Tcp();
        var rtpMin = FreePorts.UdpRange(200, even: true);
        var webRtcPort = FreePorts.Udp();
        var baseAddress = new Uri($"http://127.0.0.1:{httpPort}");
        output.WriteLine($"server: http {httpPort}, rtp {rtpMin}-{rtpMin + 199}, webrtc udp {webRtcPort}, data {dataDirectory}, seed {FreePorts.Seed}");

        var environment = Environment(dataDirectory, rtpMin, webRtcPort);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment[key] = value;
            output.WriteLine($"server setting: {key}={value}");
        }
        var process = ExternalProcess.Start("server", "dotnet", [RepoPaths.ServerDll, "--urls", baseAddress.ToString().TrimEnd('/')],
            environment, dataDirectory);
        var server = new MediaServerProcess(process, output, RepoPaths.ArtifactsFor(testName), baseAddress, dataDirectory, webRtcPort, rtpMin);
        try
        {
            await Eventually.Until(async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"The server exited with {process.ExitCode} before it was ready.\n{process.Output}");
                }
                try
                {
                    using var response = await server.Http.GetAsync("/healthz");
                    return response.StatusCode;
                }
                catch (HttpRequestException)
                {
                    return (HttpStatusCode)0;
                }
            }, status => status == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "GET /healthz → 200");
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    private static Dictionary<string, string> Environment(string dataDirectory, int rtpMin, int webRtcPort) => new()
    {
        ["MediaServer__DataDirectory"] = dataDirectory,
        ["MediaServer__KeyDirectory"] = KeyDirectoryOf(dataDirectory),
        ["MediaServer__Rtp__ListenAddress"] = "127.0.0.1",
        ["MediaServer__Rtp__PortMin"] = rtpMin.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["MediaServer__Rtp__PortMax"] = (rtpMin + 199).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["MediaServer__Auth__JoinGrace"] = "00:15:00",
        ["MediaServer__WebRtc__Port"] = webRtcPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["MediaServer__WebRtc__ListenAddress"] = "127.0.0.1",
        // Renders run at nice 19: on a loaded test machine they can take many times real time, past the default limit.
        ["MediaServer__Recording__RenderTimeLimitMinimum"] = "00:30:00",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
    };

    /// <summary>The keys live beside the data directory, never inside it (MediaServer:KeyDirectory).</summary>
    public static string KeyDirectoryOf(string dataDirectory) => dataDirectory + "-keys";

    /// <summary>A signed token from the server's own CLI (same entry point and key directory, so the same signing key).</summary>
    public async Task<string> TokenAsync(string role, string subject, string? visit = null, string ttl = "2h")
    {
        List<string> arguments = [RepoPaths.ServerDll, "token", "--role", role, "--sub", subject, "--ttl", ttl];
        if (visit is not null)
        {
            arguments.AddRange(["--visit", visit]);
        }
        await using var cli = ExternalProcess.Start("token-cli", "dotnet", arguments, Environment(DataDirectory, RtpPortMin, WebRtcPort), DataDirectory);
        var exit = await cli.WaitForExitAsync(TimeSpan.FromSeconds(60));
        var token = cli.StandardOutput.Trim();
        if (exit != 0 || token.Length == 0 || token.Contains('\n', StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"token CLI exited {exit}.\n{cli.Output}");
        }
        return token;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _process.DisposeAsync();
        var log = _process.Output;
        await File.WriteAllTextAsync(Path.Combine(_artifacts, "server.log"), log);
        var lines = log.Split('\n');
        _output.WriteLine($"server log ({lines.Length} lines, full copy in {_artifacts}/server.log), last 80:");
        foreach (var line in lines.TakeLast(80))
        {
            _output.WriteLine(line);
        }
        foreach (var directory in new[] { DataDirectory, KeyDirectoryOf(DataDirectory) })
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp directory is harmless (or there was none).
            }
        }
    }
}
