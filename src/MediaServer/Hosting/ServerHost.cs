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
    public static WebApplication Build(string[] args)
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
            .Validate(o => IPAddress.TryParse(o.WebRtc.ListenAddress, out _), "MediaServer:WebRtc:ListenAddress must be an IP address.")
            .Validate(o => string.IsNullOrWhiteSpace(o.WebRtc.AnnouncedAddress) || IPAddress.TryParse(o.WebRtc.AnnouncedAddress, out _),
                "MediaServer:WebRtc:AnnouncedAddress must be empty or an IP address.")
            .Validate(o => RecordingFailurePolicy.IsValid(o.Recording.OnFailure),
                "MediaServer:Recording:OnFailure must be refuse or continue-and-alert.")
            .ValidateOnStart();

        // The review page plays and downloads recordings with ?access_token= in the URL (a <video> cannot send a header); the
        // host's request lines print whole URLs, so they stay off whatever the configuration says (README, "API notes").
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);

        var options = builder.Configuration.GetSection(MediaServerOptions.SectionName).Get<MediaServerOptions>() ?? new MediaServerOptions();
        var dataDirectory = options.ResolveDataDirectory();
        Directory.CreateDirectory(dataDirectory);

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new Database(Path.Combine(dataDirectory, "mediaserver.db")));
        services.AddSingleton<AuditLog>();
        services.AddSingleton<VisitStore>();
        services.AddSingleton<VisitRegistry>();
        services.AddSingleton<FlagStore>();
        // Flags go to every registered IVisitFlagSink (the recorder registers itself as one).
        services.AddSingleton<VisitFlags>();
        services.AddSingleton(new SigningKeys(dataDirectory));
        services.AddSingleton(sp => new TokenIssuer(sp.GetRequiredService<SigningKeys>(),
            sp.GetRequiredService<IOptions<MediaServerOptions>>().Value.Auth, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<RelayMetrics>();
        services.AddSingleton<HttpMetrics>();
        services.AddSingleton(sp =>
        {
            var rtp = sp.GetRequiredService<IOptions<MediaServerOptions>>().Value.Rtp;
            return new PortAllocator(IPAddress.Parse(rtp.ListenAddress), rtp.PortMin, rtp.PortMax);
        });
        services.AddSingleton<PlainRtpJoin>();
        services.AddSingleton(sp => DtlsCertificate.LoadOrCreate(dataDirectory, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new DtlsSrtpServer(sp.GetRequiredService<DtlsCertificate>(), new DtlsOptions(),
            sp.GetRequiredService<ILogger<DtlsSrtpServer>>()));
        services.AddSingleton<WebRtcPort>();
        services.AddHostedService(sp => sp.GetRequiredService<WebRtcPort>());
        services.AddSingleton<WebRtcJoin>();
        services.AddSingleton<RecordingStore>();
        services.AddSingleton(new RecordingSigner(dataDirectory));
        services.AddSingleton<RecordingMetrics>();
        services.AddSingleton<IReviewCopyRenderer, MediaServer.Recording.Rendering.ReviewCopyRenderer>();
        services.AddSingleton<RecordingService>();
        services.AddHostedService(sp => sp.GetRequiredService<RecordingService>());
        services.AddSingleton<IVisitFlagSink>(sp => sp.GetRequiredService<RecordingService>());
        services.AddSingleton<VisitLifecycle>();
        services.AddHostedService<VisitScheduleService>();
        ConsoleEndpoints.AddServices(services);

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

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStaticFiles();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();

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
