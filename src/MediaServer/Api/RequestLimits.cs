using System.Globalization;
using System.Threading.RateLimiting;
using MediaServer.Auth;
using MediaServer.Hosting;
using MediaServer.Visits;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.RateLimiting;

namespace MediaServer.Api;

/// <summary>
/// Request bounds that sit in front of every endpoint: body sizes, rate limits of participant routes and token minting
/// (ASP.NET Core rate limiting, fixed windows), and the shape of ids in paths. Each refusal is problem+json with a plain detail.
/// </summary>
public static class RequestLimits
{
    /// <summary>The rate-limit policy of join and leave: partitioned by participant token.</summary>
    public const string ParticipantPolicy = "participant";

    /// <summary>The rate-limit policy of token minting: partitioned by the minting principal.</summary>
    public const string MintPolicy = "mint";

    /// <summary>Largest JSON body any endpoint takes (a visit with four visitors and 200-character names is under 2 KiB).</summary>
    public const int MaxJsonBodyBytes = 16 * 1024;

    /// <summary>Route values named like this must be ids (<see cref="InputRules.IsId"/>); anything else is 400 before the handler.</summary>
    private static readonly string[] IdRouteValues = ["id", "legId", "tapId"];

    public static void AddServices(IServiceCollection services, LimitOptions limits)
    {
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = async (context, cancellation) =>
            {
                var http = context.HttpContext;
                var retry = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds));
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await ApiResults.Problem(429, ProblemTypes.TooManyRequests, "Too many requests",
                        $"This token made too many requests to this endpoint; try again in {seconds} s.")
                    .ExecuteAsync(http).ConfigureAwait(false);
            };
            // One window per participant token (its jti when it has one, else who and which visit): a flood from one token
            // never uses up another party's allowance.
            options.AddPolicy(ParticipantPolicy, http => RateLimitPartition.GetFixedWindowLimiter(
                "p|" + TokenKey(http),
                _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = limits.ParticipantRequests,
                    Window = limits.ParticipantWindow,
                    QueueLimit = 0,
                    AutoReplenishment = true,
                }));
            options.AddPolicy(MintPolicy, http => RateLimitPartition.GetFixedWindowLimiter(
                "m|" + http.User.Subject(),
                _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = limits.TokenRequests,
                    Window = limits.TokenWindow,
                    QueueLimit = 0,
                    AutoReplenishment = true,
                }));
        });
    }

    /// <summary>Before authentication: bodies over their limit are refused (413) before anyone reads them.</summary>
    public static void UseBodyLimits(IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var request = http.Request;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            var sdp = request.ContentType?.StartsWith("application/sdp", StringComparison.OrdinalIgnoreCase) == true;
            var limit = sdp ? SdpExchange.MaxOfferBytes : MaxJsonBodyBytes;
            if (request.ContentLength > limit)
            {
                await ApiResults.Problem(413, ProblemTypes.BodyTooLarge, "Body too large",
                        $"A {(sdp ? "SDP offer" : "request body")} may be at most {limit} bytes; this one has {request.ContentLength}.")
                    .ExecuteAsync(http).ConfigureAwait(false);
                return;
            }
            // A chunked body is cut off at the same limit by the server itself (Kestrel answers 413 when it is passed).
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = limit;
            }
        }
        await next(http).ConfigureAwait(false);
    });

    /// <summary>An endpoint filter: ids in the path have the id shape, or the request is 400 before the handler runs.</summary>
    public static ValueTask<object?> CheckRouteIds(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var values = context.HttpContext.Request.RouteValues;
        foreach (var name in IdRouteValues)
        {
            if (values.TryGetValue(name, out var value) && value is string text && !InputRules.IsId(text))
            {
                return ValueTask.FromResult<object?>(ApiResults.BadRequest(
                    $"The {name} in the path must be 1 to {InputRules.MaxIdLength} characters of A-Z, a-z, 0-9, '.', '_' or '-'."));
            }
        }
        return next(context);
    }

    private static string TokenKey(HttpContext http)
    {
        var user = http.User;
        var jti = user.FindFirst("jti")?.Value;
        return string.IsNullOrEmpty(jti) ? user.Subject() + "|" + (user.VisitId() ?? "") : jti;
    }
}
