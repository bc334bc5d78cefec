using MediaServer.Hosting;
using MediaServer.Visits;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;

namespace MediaServer.Api;

public static class ApiServiceCollectionExtensions
{
    /// <summary>
    /// The HTTP surface's own services: problem+json for every error, the audited authorisation handler and the policies,
    /// <c>?access_token=</c> on recording downloads, rate limits, the officer console's feed and the OpenAPI document.
    /// Token checking itself is <see cref="Auth.AuthServiceCollectionExtensions.AddAuth"/>.
    /// </summary>
    public static IServiceCollection AddApi(this IServiceCollection services, LimitOptions limits)
    {
        services.AddSingleton<HttpMetrics>();
        ConsoleEndpoints.AddServices(services);
        RequestLimits.AddServices(services, limits);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ApiResults.DefaultType);
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AuditingAuthorizationResultHandler>();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure(jwt => jwt.Events = new JwtBearerEvents { OnMessageReceived = TokenFromQuery });
        services.AddAuthorization(Policies.Add);
        services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "MediaServer";
            document.Info.Description = "The HTTP contract of the visitation media server; docs/api.md says the same in prose.";
            return Task.CompletedTask;
        }));
        return services;
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
