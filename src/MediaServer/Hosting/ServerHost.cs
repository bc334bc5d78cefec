using System.Net;
using MediaServer.Api;
using MediaServer.Auth;
using MediaServer.Hosting.Https;
using MediaServer.Metrics;
using MediaServer.Monitoring;
using MediaServer.Recording;
using MediaServer.Recording.Review;
using MediaServer.Routing;
using MediaServer.Storage;
using MediaServer.Transport;
using MediaServer.Transport.WebRtc;
using MediaServer.Visits;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace MediaServer.Hosting;

/// <summary>
/// Composes the server and does nothing else: options (the bound root, validated at start, and each feature's part of it),
/// then each feature's services, then the HTTP pipeline and endpoints (<see cref="ApiPipeline"/>).
/// </summary>
public static class ServerHost
{
    /// <param name="configure">Runs last before the app is built: tests put the host on a test server and replace services.</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // appsettings*.json ship beside the binary; the working directory is where relative data paths resolve.
            ContentRootPath = AppContext.BaseDirectory,
            WebRootPath = "wwwroot",
        });

        builder.Services.AddOptions<MediaServerOptions>()
            .Bind(builder.Configuration.GetSection(MediaServerOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => o.Rtp.PortMax > o.Rtp.PortMin, "MediaServer:Rtp:PortMax must be greater than PortMin.")
            .Validate(o => IPAddress.TryParse(o.Rtp.ListenAddress, out _), "MediaServer:Rtp:ListenAddress must be an IP address.")
            .Validate(o => string.IsNullOrWhiteSpace(o.Rtp.AnnouncedAddress) || IPAddress.TryParse(o.Rtp.AnnouncedAddress, out _),
                "MediaServer:Rtp:AnnouncedAddress must be empty or an IP address.")
            .Validate(o => AllowedNetworks.TryParse(o.Rtp.AllowedNetworks, out _, out _),
                "MediaServer:Rtp:AllowedNetworks must be a list of CIDR prefixes such as 10.20.0.0/16 or fd00::/8, with no bits set past the prefix length.")
            .Validate(o => !o.KeyDirectoryInsideData(), "MediaServer:KeyDirectory must not be the data directory or inside it.")
            .Validate(o => o.Audit.CoalesceWindow >= TimeSpan.Zero && o.Audit.CoalesceWindow <= TimeSpan.FromMinutes(10),
                "MediaServer:Audit:CoalesceWindow must be between 0 and 10 minutes.")
            .Validate(o => IPAddress.TryParse(o.WebRtc.ListenAddress, out _), "MediaServer:WebRtc:ListenAddress must be an IP address.")
            .Validate(o => o.Visits.PrivilegedSilenceLimit >= TimeSpan.FromSeconds(1) && o.Visits.PrivilegedSilenceLimit <= TimeSpan.FromMinutes(5),
                "MediaServer:Visits:PrivilegedSilenceLimit must be from 00:00:01 to 00:05:00.")
            .Validate(o => o.Visits.GraceProblem() is null, "MediaServer:Visits:EmptyGrace must be from 00:00:01 to 01:00:00 and ReconnectGrace from 00:00:01 to 00:10:00.")
            .Validate(o => string.IsNullOrWhiteSpace(o.WebRtc.AnnouncedAddress) || IPAddress.TryParse(o.WebRtc.AnnouncedAddress, out _),
                "MediaServer:WebRtc:AnnouncedAddress must be empty or an IP address.")
            .Validate(o => o.Relay.Problem() is null, "MediaServer:Relay holds a value out of range (see the README's configuration table).")
            .Validate(o => o.WebRtc.Port == 0 || o.WebRtc.Port < o.Rtp.PortMin || o.WebRtc.Port > o.Rtp.PortMax,
                "MediaServer:WebRtc:Port must lie outside the RTP range MediaServer:Rtp:PortMin-PortMax (the plain-RTP legs would take it).")
            .Validate(o => o.Rtp.PortMax <= o.Rtp.PortMin
                    || o.Rtp.Pairs >= RtpOptions.PairsForOneVisit(o.Visits.MaxVisitors, o.Limits.MaxTapsPerVisit) + o.Rtp.SharedPairs,
                "MediaServer:Rtp:PortMin-PortMax is too small for one visit over plain RTP: it must hold an even/odd pair per m-line "
                + "(audio and video) for the kiosk, each of MediaServer:Visits:MaxVisitors and each of MediaServer:Limits:MaxTapsPerVisit "
                + "(18 pairs, 36 ports, with the defaults), besides the MediaServer:Rtp:SharedPairs.")
            .Validate(o => o.Recording.Retention > TimeSpan.Zero, "MediaServer:Recording:Retention must be positive (e.g. 365.00:00:00 for a year).")
            .Validate(o => RecordingFailurePolicy.IsValid(o.Recording.OnFailure),
                "MediaServer:Recording:OnFailure must be refuse or continue-and-alert.")
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<MediaServerOptions>, NestedOptionsValidator>();
        AddFeatureOptions(builder.Services, o => o.Auth);

        // The review page plays and downloads recordings with ?access_token= in the URL (a <video> cannot send a header); the
        // host's request lines print whole URLs, so they stay off whatever the configuration says (README, "API notes").
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);

        var options = builder.Configuration.GetSection(MediaServerOptions.SectionName).Get<MediaServerOptions>() ?? new MediaServerOptions();
        var dataDirectory = options.ResolveDataDirectory();
        if (options.KeyDirectoryInsideData())
        {
            throw new OptionsValidationException(MediaServerOptions.SectionName, typeof(MediaServerOptions),
                [$"MediaServer:KeyDirectory ({options.ResolveKeyDirectory()}) must not be the data directory or inside it: a copy of the data would carry the keys."]);
        }
        var problems = HttpsSetup.Problems(options.Https, HttpsSetup.ConfiguredUrls(builder.Configuration)).Concat(options.Proxy.Problems())
            .Concat(MediaPortPreflight.Problems(options.Rtp, options.WebRtc)).ToList();
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(MediaServerOptions.SectionName, typeof(MediaServerOptions), problems);
        }
        var certificate = options.Https.Enabled ? new CertificateReloader(options.Https) : null;
        if (certificate is not null)
        {
            HttpsSetup.UseCertificate(builder, certificate);
        }
        builder.Services.Configure<ForwardedHeadersOptions>(options.Proxy.Apply);
        var startupNotes = new List<string>();
        var keyDirectory = OpenDirectories(dataDirectory, options.ResolveKeyDirectory(), startupNotes);
        foreach (var note in startupNotes)
        {
            keyDirectory.AddNote(note);
        }

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        // SIGTERM: the drain (ServerDrain), journals sealed, the audit checkpoint, and the process gone within 10 s.
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        // First: the audit log's startup check is the first hosted service (it verifies the chain before anything else runs).
        services.AddStorage(Path.Combine(dataDirectory, "mediaserver.db"), keyDirectory,
            sp => sp.GetRequiredService<IOptions<MediaServerOptions>>().Value.Audit);
        services.AddSingleton<RelayMetrics>();
        services.AddRelay();
        services.AddWebRtc(keyDirectory.Path);
        services.AddJoins();
        services.AddMonitoring();
        services.AddRecording(sp => sp.GetRequiredService<IOptions<MediaServerOptions>>().Value.Recording.WithRoots(dataDirectory, keyDirectory.Path));
        services.AddReview();
        services.AddSingleton<FfmpegAvailability>();
        services.AddVisits(sp =>
        {
            var root = sp.GetRequiredService<IOptions<MediaServerOptions>>().Value;
            return root.Visits.WithJoinGrace(root.Auth.JoinGrace);
        }, sp => sp.GetRequiredService<IOptions<MediaServerOptions>>().Value.Limits);

        // Auth: token signing and checking; every action goes to the audit trail (the audit log in Storage).
        services.AddAuth(keyDirectory.LoadOrCreateSecret(SigningKeys.FileName, SigningKeys.SecretBytes, out _));

        // Api: the HTTP surface.
        services.AddApi(options.Limits);
        services.AddSingleton<MetricsExposition>();

        configure?.Invoke(builder);
        var app = builder.Build();
        // Every option checked now, before anything binds a port: a bad value ends the start with its own line (Program).
        _ = app.Services.GetRequiredService<IOptions<MediaServerOptions>>().Value;
        HttpsSetup.LogAtStart(app, certificate, options.Proxy.Enabled);
        FfmpegCheck.LogAtStart(app);
        app.UseApi();
        app.MapApi();
        return app;
    }

    /// <summary>
    /// Each feature reads its own part of the configuration as <c>IOptions&lt;TheirOptions&gt;</c>, taken from the one bound and
    /// validated root (MediaServer:*), so a feature never sees the root and every key keeps its name.
    /// </summary>
    private static void AddFeatureOptions<T>(IServiceCollection services, Func<MediaServerOptions, T> part)
        where T : class =>
        services.AddSingleton<IOptions<T>>(sp => Options.Create(part(sp.GetRequiredService<IOptions<MediaServerOptions>>().Value)));

    /// <summary>
    /// The data and key directories, made (owner-only) or checked: one that cannot be made or written to is a configuration
    /// problem, said in one line (a path under a file, a read-only disk, a directory of another user), not a stack trace.
    /// </summary>
    private static KeyDirectory OpenDirectories(string dataDirectory, string keyDirectory, List<string> notes)
    {
        try
        {
            KeyDirectory.CreateOwnerOnly(dataDirectory, notes);
            var probe = Path.Combine(dataDirectory, $".write-check-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new Cli.ConfigurationProblemException($"MediaServer:DataDirectory '{dataDirectory}' cannot be written: {e.Message}");
        }
        try
        {
            return KeyDirectory.Open(keyDirectory, dataDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new Cli.ConfigurationProblemException($"MediaServer:KeyDirectory '{keyDirectory}' cannot be used: {e.Message}");
        }
    }
}
