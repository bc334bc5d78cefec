using System.Net;
using MediaServer.Api;
using MediaServer.Auth;
using MediaServer.Metrics;
using MediaServer.Recording;
using MediaServer.Storage;
using MediaServer.Transport;
using MediaServer.Transport.WebRtc;
using MediaServer.Visits;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace MediaServer.Hosting;

/// <summary>Composes the server: options, storage, auth, the relay and the HTTP API.</summary>
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
            .Validate(o => string.IsNullOrWhiteSpace(o.WebRtc.AnnouncedAddress) || IPAddress.TryParse(o.WebRtc.AnnouncedAddress, out _),
                "MediaServer:WebRtc:AnnouncedAddress must be empty or an IP address.")
            .Validate(o => o.Relay.Problem() is null, "MediaServer:Relay holds a value out of range (see the README's configuration table).")
            .Validate(o => RecordingFailurePolicy.IsValid(o.Recording.OnFailure),
                "MediaServer:Recording:OnFailure must be refuse or continue-and-alert.")
            .ValidateOnStart();

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
        var startupNotes = new List<string>();
        KeyDirectory.CreateOwnerOnly(dataDirectory, startupNotes);
        var keyDirectory = KeyDirectory.Open(options.ResolveKeyDirectory(), dataDirectory);
        foreach (var note in startupNotes)
        {
            keyDirectory.AddNote(note);
        }

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(keyDirectory);
        services.AddSingleton(new Database(Path.Combine(dataDirectory, "mediaserver.db")));
        services.AddSingleton(sp => new AuditLog(sp.GetRequiredService<Database>(), keyDirectory, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<MediaServerOptions>>().Value.Audit, sp.GetRequiredService<ILogger<AuditLog>>()));
        // First hosted service: verifies the audit chain before anything else runs, and stops last (final checkpoint).
        services.AddHostedService<AuditStartup>();
        services.AddSingleton<VisitStore>();
        services.AddSingleton<VisitRegistry>();
        services.AddSingleton<FlagStore>();
        // Flags go to every registered IVisitFlagSink (the recorder registers itself as one).
        services.AddSingleton<VisitFlags>();
        services.AddSingleton(new SigningKeys(keyDirectory));
        services.AddSingleton(sp => new TokenIssuer(sp.GetRequiredService<SigningKeys>(),
            sp.GetRequiredService<IOptions<MediaServerOptions>>().Value.Auth, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<RelayMetrics>();
        services.AddSingleton<HttpMetrics>();
        services.AddSingleton(sp =>
        {
            var rtp = sp.GetRequiredService<IOptions<MediaServerOptions>>().Value.Rtp;
            return new PortAllocator(IPAddress.Parse(rtp.ListenAddress), rtp.PortMin, rtp.PortMax);
        });
        services.AddSingleton(sp => AllowedNetworks.Parse(sp.GetRequiredService<IOptions<MediaServerOptions>>().Value.Rtp.AllowedNetworks));
        services.AddSingleton(sp => new MediaServer.Routing.FeedbackPolicy(sp.GetRequiredService<IOptions<MediaServerOptions>>().Value.Relay));
        services.AddSingleton<PlainRtpJoin>();
        services.AddSingleton(sp => DtlsCertificate.LoadOrCreate(keyDirectory.Path, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new DtlsSrtpServer(sp.GetRequiredService<DtlsCertificate>(), new DtlsOptions(),
            sp.GetRequiredService<ILogger<DtlsSrtpServer>>()));
        services.AddSingleton<WebRtcPort>();
        services.AddHostedService(sp => sp.GetRequiredService<WebRtcPort>());
        services.AddSingleton<WebRtcJoin>();
        services.AddSingleton<RecordingStore>();
        services.AddSingleton(new RecordingSigner(keyDirectory.Path));
        services.AddSingleton<RecordingMetrics>();
        services.AddSingleton<IReviewCopyRenderer, MediaServer.Recording.Rendering.ReviewCopyRenderer>();
        services.AddSingleton<RecordingService>();
        services.AddHostedService(sp => sp.GetRequiredService<RecordingService>());
        services.AddSingleton<IVisitFlagSink>(sp => sp.GetRequiredService<RecordingService>());
        services.AddSingleton<JoinBindings>();
        services.AddSingleton<VisitLifecycle>();
        services.AddHostedService<VisitScheduleService>();
        ConsoleEndpoints.AddServices(services);
        RequestLimits.AddServices(services, options.Limits);

        services.AddProblemDetails();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AuditingAuthorizationResultHandler>();
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<TokenIssuer>((jwt, issuer) =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = issuer.ValidationParameters();
                jwt.Events = new JwtBearerEvents { OnMessageReceived = TokenFromQuery };
            });
        services.AddAuthorization(Policies.Add);

        configure?.Invoke(builder);
        var app = builder.Build();
        app.Use(SecurityHeaders);
        app.UseExceptionHandler();
        app.UseStaticFiles();
        app.UseStatusCodePages();
        RequestLimits.UseBodyLimits(app);
        app.UseAuthentication();
        app.UseAuthorization();
        // After authorisation: limits are partitioned by the token, and a request without a valid one never spends them.
        app.UseRateLimiter();

        // The participant page: /visit?token=… (static, served from wwwroot beside the binary).
        // The pages: /visit (families, kiosks), /review (investigators), /officer (the officer console); tokens are pasted in.
        var webRoot = app.Environment.WebRootPath ?? Path.Combine(AppContext.BaseDirectory, "wwwroot");
        foreach (var name in new[] { "visit", "review", "officer" })
        {
            var page = Path.Combine(webRoot, name + ".html");
            app.MapGet("/" + name, () => File.Exists(page)
                ? Results.File(page, "text/html; charset=utf-8")
                : ApiResults.NotFound($"The {name} page is not installed beside the server binary (wwwroot/{name}.html)."));
        }
        MetricsEndpoint.Map(app);
        VisitEndpoints.Map(app);
        AuditEndpoints.Map(app);
        RecordingEndpoints.Map(app);
        ConsoleEndpoints.Map(app);
        return app;
    }

    /// <summary>
    /// The pages load only their own script, style and media (no inline code, nothing from elsewhere) and may not be framed, so a
    /// hostile site can neither inject script into them nor overlay them to steal a click (End visit, release hold). The same
    /// headers go on every API answer: harmless there, and nothing is left out by a route that forgot them.
    /// </summary>
    internal const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static Task SecurityHeaders(HttpContext context, Func<Task> next)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        return next();
    }

    /// <summary>
    /// A &lt;video&gt; element and a download link cannot send an Authorization header, so GET of a recording's media, journal and
    /// export may carry the bearer token as <c>?access_token=</c> (RFC 6750 §2.3) instead. Nowhere else: every other endpoint
    /// reads the header only. The request is then authorised and audited exactly like one with the header.
    /// </summary>
    private static Task TokenFromQuery(MessageReceivedContext context)
    {
        var request = context.Request;
        if (HttpMethods.IsGet(request.Method) && !request.Headers.ContainsKey("Authorization")
            && request.Query.TryGetValue("access_token", out var values) && values.Count == 1
            && IsRecordingDownload(request.Path))
        {
            context.Token = values[0];
        }
        return Task.CompletedTask;
    }

    /// <summary>/api/recordings/{id}/media, /journal or /export, exactly.</summary>
    private static bool IsRecordingDownload(PathString path)
    {
        var segments = (path.Value ?? "").Split('/');
        return segments.Length == 5 && segments[0].Length == 0 && segments[1] == "api" && segments[2] == "recordings"
            && segments[3].Length > 0 && segments[4] is "media" or "journal" or "export";
    }
}
