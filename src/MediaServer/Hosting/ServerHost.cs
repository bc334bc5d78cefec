using System.Net;
using MediaServer.Api;
using MediaServer.Auth;
using MediaServer.Metrics;
using MediaServer.Storage;
using MediaServer.Transport;
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
        });

        builder.Services.AddOptions<MediaServerOptions>()
            .Bind(builder.Configuration.GetSection(MediaServerOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => o.Rtp.PortMax > o.Rtp.PortMin, "MediaServer:Rtp:PortMax must be greater than PortMin.")
            .Validate(o => IPAddress.TryParse(o.Rtp.ListenAddress, out _), "MediaServer:Rtp:ListenAddress must be an IP address.")
            .Validate(o => string.IsNullOrWhiteSpace(o.Rtp.AnnouncedAddress) || IPAddress.TryParse(o.Rtp.AnnouncedAddress, out _),
                "MediaServer:Rtp:AnnouncedAddress must be empty or an IP address.")
            .ValidateOnStart();

        var options = builder.Configuration.GetSection(MediaServerOptions.SectionName).Get<MediaServerOptions>() ?? new MediaServerOptions();
        var dataDirectory = options.ResolveDataDirectory();
        Directory.CreateDirectory(dataDirectory);

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new Database(Path.Combine(dataDirectory, "mediaserver.db")));
        services.AddSingleton<AuditLog>();
        services.AddSingleton<VisitStore>();
        services.AddSingleton<VisitRegistry>();
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
        services.AddSingleton<VisitLifecycle>();
        services.AddHostedService<VisitScheduleService>();

        services.AddProblemDetails();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AuditingAuthorizationResultHandler>();
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<TokenIssuer>((jwt, issuer) =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = issuer.ValidationParameters();
            });
        services.AddAuthorization(Policies.Add);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();

        MetricsEndpoint.Map(app);
        VisitEndpoints.Map(app);
        AuditEndpoints.Map(app);
        return app;
    }
}
