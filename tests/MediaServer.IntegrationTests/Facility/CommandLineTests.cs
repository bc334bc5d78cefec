using MediaServer.Testing;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests.Facility;

/// <summary>
/// The operator's first hour with the built binary (no server started by the harness): help and version that start nothing,
/// configuration errors as one line each with exit code 2, and a token command that never makes a key of its own.
/// </summary>
public sealed class CommandLineTests(ITestOutputHelper output) : IDisposable
{
    // A cold `dotnet MediaServer.dll` on a loaded 2-core machine; it answers in well under a second when idle.
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(60);

    private readonly string _root = Directory.CreateTempSubdirectory("mediaserver-cli-").FullName;

    private string DataDirectory => Path.Combine(_root, "data");

    private string KeyDirectory => Path.Combine(_root, "keys");

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("serve --help")]
    [InlineData("token --help")]
    [InlineData("render --help")]
    [InlineData("verify --help")]
    [InlineData("verify-audit -h")]
    [InlineData("visit --help")]
    [InlineData("demo --help")]
    public async Task Help_prints_and_exits_0_without_starting_anything(string arguments)
    {
        var port = PortAllocator.FreeTcpPort();
        var result = await RunAsync([.. arguments.Split(' '), "--urls", $"http://127.0.0.1:{port}"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Usage:", result.StdoutText, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", result.StdoutText, StringComparison.Ordinal);
        if (arguments.StartsWith('-'))
        {
            foreach (var command in new[] { "serve", "token", "visit", "demo", "render", "verify", "verify-audit" })
            {
                Assert.Contains(command, result.StdoutText, StringComparison.Ordinal);
            }
        }
        Assert.False(Directory.Exists(DataDirectory), "help made the data directory");
        Assert.False(Directory.Exists(KeyDirectory), "help made the key directory");
    }

    [Fact]
    public async Task Version_prints_one_line_and_exits_0()
    {
        var result = await RunAsync(["--version"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var line = Assert.Single(result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Matches(@"^\d+\.\d+\.\d+", line);
        Assert.False(Directory.Exists(DataDirectory));
    }

    [Theory]
    [InlineData("MediaServer__WebRtc__Port=40100", "MediaServer:WebRtc:Port must lie outside the RTP range")]
    [InlineData("MediaServer__Recording__Retention=-1.00:00:00", "MediaServer:Recording:Retention must be positive")]
    [InlineData("MediaServer__Rtp__PortMax=39000", "MediaServer:Rtp:PortMax must be greater than PortMin")]
    [InlineData("MediaServer__Rtp__PortMin=forty", "MediaServer:Rtp:PortMin")]
    [InlineData("MediaServer__Rtp__PortMax=40020", "MediaServer:Rtp:PortMin-PortMax is too small for one visit over plain RTP")]
    [InlineData("MediaServer__Rtp__SharedPairs=65", "MediaServer:Rtp:SharedPairs: The field SharedPairs must be between 0 and 64.")]
    [InlineData("MediaServer__WebRtc__Port=70000", "MediaServer:WebRtc:Port: The field Port must be between 0 and 65535.")]
    [InlineData("MediaServer__Rtp__IoThreads=500", "MediaServer:Rtp:IoThreads: The field IoThreads must be between 0 and 64.")]
    [InlineData("MediaServer__Recording__RenderThreads=0", "MediaServer:Recording:RenderThreads: The field RenderThreads must be between 1 and 64.")]
    [InlineData("MediaServer__Proxy__KnownProxies__0=nginx.local", "'nginx.local' is not an IP address")]
    [InlineData("MediaServer__Https__CertificatePath=/nonexistent/fullchain.pem", "the file /nonexistent/fullchain.pem does not exist")]
    [InlineData("Urls=https://127.0.0.1:{port}", "Urls holds an https:// address but MediaServer:Https:CertificatePath is empty")]
    [InlineData("MediaServer__DataDirectory=/proc/version/data", "MediaServer:DataDirectory '/proc/version/data' cannot be written")]
    public async Task A_bad_setting_is_one_line_and_exit_code_2(string setting, string expected)
    {
        var port = PortAllocator.FreeTcpPort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var pair = setting.Replace("{port}", port, StringComparison.Ordinal).Split('=', 2);
        var arguments = pair[0] == "Urls" ? new[] { "--urls", pair[1] } : new[] { "--urls", $"http://127.0.0.1:{port}" };
        var environment = pair[0] == "Urls" ? new Dictionary<string, string>() : new Dictionary<string, string> { [pair[0]] = pair[1] };

        var result = await RunAsync(arguments, environment);

        Assert.True(result.ExitCode == 2, result.ToString());
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        Assert.All(lines, line => Assert.StartsWith("configuration: ", line, StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains(expected, StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", result.Stderr + result.StdoutText, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", result.StdoutText, StringComparison.Ordinal);
    }

    /// <summary>
    /// A key file that others may read and that belongs to another user (root's 0644 key, the server run as nobody): the
    /// server may read it but not narrow it, so it refuses to start, in one line with exit code 2, before anything listens.
    /// Setting this up takes root, as the README's test command runs.
    /// </summary>
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_key_file_others_may_read_and_the_server_cannot_narrow_is_one_line_and_exit_code_2()
    {
        Assert.True(Environment.UserName == "root", "this test makes files of two users and runs the server as nobody: run it as root (./test.sh does)");
        File.SetUnixFileMode(_root, (UnixFileMode)0x1ED); // 0755: nobody may pass through to its directories
        Directory.CreateDirectory(DataDirectory);
        Directory.CreateDirectory(KeyDirectory);
        var key = Path.Combine(KeyDirectory, "jwt-signing.key");
        await File.WriteAllTextAsync(key, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        File.SetUnixFileMode(key, (UnixFileMode)0x1A4); // 0644, root's
        File.SetUnixFileMode(KeyDirectory, (UnixFileMode)0x1C0); // 0700
        var chown = await ProcessRunner.RunAsync("chown", ["nobody:nogroup", DataDirectory, KeyDirectory], CliTimeout, new Dictionary<string, string>(), _root);
        Assert.True(chown.ExitCode == 0, chown.ToString());

        var port = PortAllocator.FreeTcpPort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var result = await ProcessRunner.RunAsync("setpriv",
            ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", "dotnet", RepoLayout.ServerDll, "--urls", $"http://127.0.0.1:{port}"], CliTimeout,
            new Dictionary<string, string>
            {
                ["DOTNET_NOLOGO"] = "1", ["HOME"] = Path.GetTempPath(), ["DOTNET_CLI_HOME"] = Path.GetTempPath(),
                ["MediaServer__DataDirectory"] = DataDirectory, ["MediaServer__KeyDirectory"] = KeyDirectory,
            }, Path.GetDirectoryName(RepoLayout.ServerDll));
        output.WriteLine(result.ToString());

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Equal($"configuration: MediaServer:KeyDirectory '{KeyDirectory}' cannot be used: {key} is 0644 and belongs to another user, "
            + "so it cannot be narrowed to 0600: anyone on this machine may read it (chmod 600 it, or give it to the server's user)", line);
        Assert.DoesNotContain("Now listening", result.StdoutText, StringComparison.Ordinal);
        Assert.Equal((UnixFileMode)0x1A4, File.GetUnixFileMode(key));
    }

    /// <summary>
    /// Media ports another process holds: the WebRTC port, or every pair of the RTP range when shared pairs are asked for.
    /// The start ends in one line naming the setting and exit code 2, not a stack trace.
    /// </summary>
    [Theory]
    [InlineData("webrtc", "MediaServer:WebRtc:Port 127.0.0.1:")]
    [InlineData("shared", "MediaServer:Rtp:SharedPairs is 1, but only 0 pairs of the RTP range MediaServer:Rtp:PortMin-PortMax (")]
    public async Task A_media_port_another_process_holds_is_one_line_and_exit_code_2(string which, string expected)
    {
        // 1. Ports held here: a UDP port outside the default RTP range, or a whole small range of 19 pairs.
        var held = new List<System.Net.Sockets.Socket>();
        Action? released = null;
        try
        {
            var environment = new Dictionary<string, string> { ["MediaServer__WebRtc__ListenAddress"] = "127.0.0.1", ["MediaServer__Rtp__ListenAddress"] = "127.0.0.1" };
            if (which == "webrtc")
            {
                var port = HoldUdp(held, 0);
                while (port is >= 40000 and <= 40999)
                {
                    port = HoldUdp(held, 0);
                }
                environment["MediaServer__WebRtc__Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            else
            {
                var first = PortAllocator.FreeServerUdpRange(38);
                released = () => PortAllocator.Release(first, 38);
                for (var port = first; port < first + 38; port++)
                {
                    HoldUdp(held, port);
                }
                environment["MediaServer__Rtp__PortMin"] = first.ToString(System.Globalization.CultureInfo.InvariantCulture);
                environment["MediaServer__Rtp__PortMax"] = (first + 37).ToString(System.Globalization.CultureInfo.InvariantCulture);
                environment["MediaServer__Rtp__SharedPairs"] = "1";
                environment["MediaServer__WebRtc__Port"] = "0";
            }

            // 2. The server refuses to start, in one line.
            var result = await RunAsync(["--urls", $"http://127.0.0.1:{PortAllocator.FreeTcpPort()}"], environment);

            Assert.True(result.ExitCode == 2, result.ToString());
            var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            Assert.StartsWith("configuration: " + expected, line, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", result.Stderr + result.StdoutText, StringComparison.Ordinal);
            Assert.DoesNotContain("Now listening", result.StdoutText, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var socket in held)
            {
                socket.Dispose();
            }
            released?.Invoke();
        }
    }

    private static int HoldUdp(List<System.Net.Sockets.Socket> held, int port)
    {
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        held.Add(socket);
        socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port));
        return ((System.Net.IPEndPoint)socket.LocalEndPoint!).Port;
    }

    [Fact]
    public async Task Two_bad_settings_are_two_lines()
    {
        var result = await RunAsync(["--urls", $"http://127.0.0.1:{PortAllocator.FreeTcpPort()}"], new Dictionary<string, string>
        {
            ["MediaServer__WebRtc__Port"] = "40100",
            ["MediaServer__Recording__Retention"] = "-00:00:01",
        });
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal(2, result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task A_token_asked_from_another_directory_makes_no_key_and_says_where_it_looked()
    {
        // As an operator would: the server ran elsewhere with the relative default "data"; here there is no key.
        var elsewhere = Path.Combine(_root, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        var result = await RunAsync(["token", "--role", "admin", "--sub", "ops"], new Dictionary<string, string>(), elsewhere, pinDirectories: false);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal("", result.StdoutText);
        Assert.Contains($"no signing key at {Path.Combine(elsewhere, "data-keys", "jwt-signing.key")}", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("relative to the working directory", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(elsewhere));
    }

    private async Task<ProcessResult> RunAsync(string[] arguments, Dictionary<string, string>? environment = null, string? workingDirectory = null,
        bool pinDirectories = true)
    {
        var settings = new Dictionary<string, string>(environment ?? []) { ["DOTNET_NOLOGO"] = "1" };
        if (pinDirectories)
        {
            settings.TryAdd("MediaServer__DataDirectory", DataDirectory);
            settings.TryAdd("MediaServer__KeyDirectory", KeyDirectory);
        }
        else
        {
            // The binary's appsettings.json (relative "data", keys beside it) and nothing else.
            settings["MediaServer__DataDirectory"] = "data";
            settings["MediaServer__KeyDirectory"] = "";
        }
        var result = await ProcessRunner.RunAsync("dotnet", [RepoLayout.ServerDll, .. arguments], CliTimeout, settings,
            workingDirectory ?? Path.GetDirectoryName(RepoLayout.ServerDll));
        output.WriteLine(result.ToString());
        return result;
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
