using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using MediaServer.Hosting;
using MediaServer.Hosting.Cli;

namespace MediaServer.Tests.Hosting;

/// <summary>
/// No Docker engine or systemd runs here, so the Dockerfile, its entrypoint and config/mediaserver.service are read as text and
/// checked against what they document: the ports of config/appsettings.json, a non-root user, the data and key directories
/// on volumes (or the unit's writable paths), the health check on an address the server listens on, and every
/// MediaServer__* setting they name being a real option (a misspelt key would be ignored silently).
/// </summary>
public sealed partial class DeploymentFileTests
{
    private static readonly string Config = Path.Combine(RepoRoot.Path, "config");

    [Fact]
    public void Dockerfile_publishes_the_configured_media_ports_and_both_http_ports_the_entrypoint_listens_on()
    {
        var final = FinalStage(Path.Combine(RepoRoot.Path, "Dockerfile"));
        var exposed = final.Where(i => i.Name == "EXPOSE").SelectMany(i => i.Args.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToHashSet();
        var settings = Settings();

        Assert.Contains($"{settings.WebRtcPort}/udp", exposed);
        Assert.Contains($"{settings.RtpMin}-{settings.RtpMax}/udp", exposed);
        var entrypoint = File.ReadAllText(Path.Combine(Config, "docker-entrypoint.sh"));
        var listened = UrlPorts().Matches(entrypoint).Select(m => m.Groups["port"].Value + "/tcp").ToHashSet();
        Assert.Equal(["8080/tcp", "8443/tcp"], listened.Order(StringComparer.Ordinal));
        Assert.Subset(exposed, listened);
    }

    [Fact]
    public void Dockerfile_runs_as_a_non_root_user_with_data_and_keys_on_their_own_volumes()
    {
        var final = FinalStage(Path.Combine(RepoRoot.Path, "Dockerfile"));
        var user = Assert.Single(final, i => i.Name == "USER").Args;
        Assert.NotEqual("root", user);
        Assert.NotEqual("0", user.Split(':')[0]);
        var run = string.Join('\n', final.Where(i => i.Name == "RUN").Select(i => i.Args));
        Assert.Contains("useradd", run, StringComparison.Ordinal);
        Assert.Matches($@"useradd\b[^&]*\b{Regex.Escape(user)}\b", run);

        var environment = Environment(final);
        var volumes = final.Where(i => i.Name == "VOLUME").Select(i => i.Args.Trim()).ToHashSet();
        var data = environment["MediaServer__DataDirectory"];
        var keys = environment["MediaServer__KeyDirectory"];
        Assert.Contains(data, volumes);
        Assert.Contains(keys, volumes);
        Assert.False(keys.StartsWith(data.TrimEnd('/') + "/", StringComparison.Ordinal), "the keys must not lie inside the data volume");
        Assert.Matches($@"chown {Regex.Escape(user)}:\S+ {Regex.Escape(data)} {Regex.Escape(keys)}", run);
        // Media reachable from outside the container.
        Assert.Equal("0.0.0.0", environment["MediaServer__WebRtc__ListenAddress"]);
        Assert.Equal("0.0.0.0", environment["MediaServer__Rtp__ListenAddress"]);
    }

    [Fact]
    public void Dockerfile_health_check_asks_healthz_on_an_address_the_server_listens_on_with_or_without_a_certificate()
    {
        var final = FinalStage(Path.Combine(RepoRoot.Path, "Dockerfile"));
        var check = Assert.Single(final, i => i.Name == "HEALTHCHECK").Args;
        var url = HealthUrl().Match(check);
        Assert.True(url.Success, "HEALTHCHECK asks no http://127.0.0.1:PORT/healthz: " + check);
        var entrypoint = File.ReadAllText(Path.Combine(Config, "docker-entrypoint.sh"));
        // Both address sets (with and without a certificate) carry the health check's HTTP port.
        var sets = Regex.Matches(entrypoint, "urls=\"(?<set>[^\"]+)\"").Select(m => m.Groups["set"].Value).ToList();
        Assert.Equal(2, sets.Count);
        Assert.All(sets, set => Assert.Contains(":" + url.Groups["port"].Value, set, StringComparison.Ordinal));
        var installed = string.Join('\n', final.Where(i => i.Name == "RUN").Select(i => i.Args));
        Assert.Contains(check.Split('"')[1], installed, StringComparison.Ordinal);
        var entry = Assert.Single(final, i => i.Name == "ENTRYPOINT").Args;
        var copied = Assert.Single(final, i => i.Name == "COPY" && i.Args.StartsWith("config/docker-entrypoint.sh ", StringComparison.Ordinal)).Args;
        Assert.Contains(copied.Split(' ')[1], entry, StringComparison.Ordinal);
    }

    [Fact]
    public void Entrypoint_takes_the_announced_address_for_webrtc_and_plain_rtp_from_one_variable()
    {
        var entrypoint = File.ReadAllText(Path.Combine(Config, "docker-entrypoint.sh"));
        Assert.Contains("export MediaServer__WebRtc__AnnouncedAddress=\"${MediaServer__WebRtc__AnnouncedAddress:-$ANNOUNCED_ADDRESS}\"", entrypoint, StringComparison.Ordinal);
        Assert.Contains("export MediaServer__Rtp__AnnouncedAddress=\"${MediaServer__Rtp__AnnouncedAddress:-$ANNOUNCED_ADDRESS}\"", entrypoint, StringComparison.Ordinal);
        Assert.Contains("exec dotnet /app/MediaServer.dll", entrypoint, StringComparison.Ordinal);
        Assert.True(OperatingSystem.IsWindows() || File.GetUnixFileMode(Path.Combine(Config, "docker-entrypoint.sh")).HasFlag(UnixFileMode.UserExecute), "the entrypoint must be executable");
    }

    [Fact]
    public void Systemd_unit_runs_hardened_as_a_service_user_with_the_configured_ports()
    {
        var unit = Unit();
        var settings = Settings();
        Assert.NotEqual("root", unit["User"].Single());
        Assert.Equal("yes", unit["NoNewPrivileges"].Single());
        Assert.Equal("strict", unit["ProtectSystem"].Single());
        Assert.Equal("yes", unit["ProtectHome"].Single());
        Assert.Equal("yes", unit["PrivateTmp"].Single());
        Assert.Equal("CAP_NET_BIND_SERVICE", unit["CapabilityBoundingSet"].Single());
        Assert.Equal(ServeCommand.ConfigurationError.ToString(CultureInfo.InvariantCulture), unit["RestartPreventExitStatus"].Single());

        var environment = unit["Environment"].Select(e => e.Trim('"').Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal(settings.WebRtcPort.ToString(CultureInfo.InvariantCulture), environment["MediaServer__WebRtc__Port"]);
        Assert.Equal(settings.RtpMin.ToString(CultureInfo.InvariantCulture), environment["MediaServer__Rtp__PortMin"]);
        Assert.Equal(settings.RtpMax.ToString(CultureInfo.InvariantCulture), environment["MediaServer__Rtp__PortMax"]);
        Assert.Equal("0.0.0.0", environment["MediaServer__WebRtc__ListenAddress"]);
        var writable = unit["ReadWritePaths"].SelectMany(p => p.Split(' ')).ToList();
        foreach (var directory in new[] { environment["MediaServer__DataDirectory"], environment["MediaServer__KeyDirectory"] })
        {
            Assert.Contains(writable, w => directory == w || directory.StartsWith(w.TrimEnd('/') + "/", StringComparison.Ordinal));
        }
        Assert.StartsWith("/usr/bin/dotnet /opt/mediaserver/MediaServer.dll", unit["ExecStart"].Single(), StringComparison.Ordinal);
        // Behind nginx by default: loopback HTTP only, so the default unit draws no plain-HTTP warning.
        Assert.Equal("http://127.0.0.1:8080", environment["Urls"]);
    }

    [Fact]
    public void Every_setting_the_image_and_the_unit_name_is_a_real_option()
    {
        var named = new List<string>();
        foreach (var file in new[] { Path.Combine(RepoRoot.Path, "Dockerfile"), Path.Combine(Config, "docker-entrypoint.sh"), Path.Combine(Config, "mediaserver.service") })
        {
            named.AddRange(SettingNames().Matches(File.ReadAllText(file)).Select(m => m.Value));
        }
        Assert.NotEmpty(named);
        foreach (var name in named.Distinct(StringComparer.Ordinal))
        {
            Assert.True(IsOption(name.Split("__")), $"{name} names no property of MediaServerOptions");
        }
    }

    private static bool IsOption(string[] path)
    {
        var type = typeof(MediaServerOptions);
        foreach (var part in path.Skip(1))
        {
            var property = type.GetProperty(part, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null)
            {
                return false;
            }
            type = property.PropertyType;
        }
        return true;
    }

    private sealed record MediaSettings(int WebRtcPort, int RtpMin, int RtpMax);

    private static MediaSettings Settings()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Config, "appsettings.json")));
        var root = json.RootElement.GetProperty("MediaServer");
        return new MediaSettings(root.GetProperty("WebRtc").GetProperty("Port").GetInt32(),
            root.GetProperty("Rtp").GetProperty("PortMin").GetInt32(), root.GetProperty("Rtp").GetProperty("PortMax").GetInt32());
    }

    private sealed record Instruction(string Name, string Args);

    /// <summary>The instructions after the last FROM, continuation lines joined, comments dropped.</summary>
    private static List<Instruction> FinalStage(string dockerfile)
    {
        var instructions = new List<Instruction>();
        var pending = "";
        foreach (var raw in File.ReadAllLines(dockerfile))
        {
            var line = raw.Trim();
            if (line.StartsWith('#') || (line.Length == 0 && pending.Length == 0))
            {
                continue;
            }
            if (line.EndsWith('\\'))
            {
                pending += line[..^1] + " ";
                continue;
            }
            var whole = (pending + line).Trim();
            pending = "";
            if (whole.Length == 0)
            {
                continue;
            }
            var space = whole.IndexOf(' ', StringComparison.Ordinal);
            var name = (space < 0 ? whole : whole[..space]).ToUpperInvariant();
            if (name == "FROM")
            {
                instructions.Clear();
            }
            instructions.Add(new Instruction(name, space < 0 ? "" : Regex.Replace(whole[(space + 1)..], @"\s+", " ").Trim()));
        }
        return instructions;
    }

    private static Dictionary<string, string> Environment(List<Instruction> stage)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var instruction in stage.Where(i => i.Name == "ENV"))
        {
            foreach (Match pair in Regex.Matches(instruction.Args, "(?<k>[A-Za-z_][A-Za-z0-9_]*)=(?<v>\"[^\"]*\"|\\S*)"))
            {
                environment[pair.Groups["k"].Value] = pair.Groups["v"].Value.Trim('"');
            }
        }
        return environment;
    }

    /// <summary>[Service] and [Unit] keys of config/mediaserver.service, each with every value it is given.</summary>
    private static Dictionary<string, List<string>> Unit()
    {
        var keys = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var raw in File.ReadAllLines(Path.Combine(Config, "mediaserver.service")))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';' or '[')
            {
                continue;
            }
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            var key = line[..equals];
            if (!keys.TryGetValue(key, out var values))
            {
                keys[key] = values = [];
            }
            values.Add(line[(equals + 1)..]);
        }
        return keys;
    }

    [GeneratedRegex(@"https?://[0-9.]+:(?<port>\d+)")]
    private static partial Regex UrlPorts();

    [GeneratedRegex(@"http://127\.0\.0\.1:(?<port>\d+)/healthz")]
    private static partial Regex HealthUrl();

    [GeneratedRegex(@"MediaServer__[A-Za-z]+(__[A-Za-z]+)*")]
    private static partial Regex SettingNames();
}
