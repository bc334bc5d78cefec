using MediaServer.Transport;
using MediaServer.Visits;

namespace MediaServer.Api;

/// <summary>
/// /metrics in the Prometheus text exposition format (version 0.0.4, written by prometheus-net: <see cref="MetricsExposition"/>), for staff only (officer or admin bearer token): the gauges
/// say when taps are open, which a visit's parties must not learn. /healthz is anonymous and answers fixed text only.
/// </summary>
public static partial class MetricsEndpoint
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", Render).RequireAuthorization(Policies.Staff).WithTags("Operations")
            .WithName("Metrics").WithSummary("Prometheus text: visits, legs, taps, packets, drops, audit state, process, runtime and build (officer, admin).")
            .Produces(StatusCodes.Status200OK, contentType: "text/plain");
        app.MapGet("/healthz", Health).WithTags("Operations")
            .WithName("Health").WithSummary("Fixed-text health: database, RTP ports, audit chain, FFmpeg (anonymous).");
    }

    private static IResult Health(IVisitStore store, PortAllocator ports, IAuditLog audit, Recording.Review.FfmpegAvailability ffmpeg, ILoggerFactory loggers)
    {
        if (store.Probe() is { } failure)
        {
            // The reason goes to the log, never to an anonymous caller (it names paths and the database's state).
            LogUnhealthy(loggers.CreateLogger("MediaServer.Health"), failure);
            return ApiResults.Problem(503, ProblemTypes.Unhealthy, "Unhealthy", "The database cannot be opened.");
        }
        if (ports.InUse >= ports.Capacity)
        {
            return ApiResults.Problem(503, ProblemTypes.Unhealthy, "Unhealthy", "Every RTP port pair is in use; no visit can be joined.");
        }
        // A broken audit chain does not stop visits; it is shown here and in /metrics until an admin has looked (docs/audit-log.md).
        var chain = audit.LastVerification switch
        {
            { Ok: false } => "broken",
            null => "unchecked",
            _ => "intact",
        };
        // FFmpeg missing or unusable: visits go on and are recorded, but no review copy can be made (the log names the path).
        if (ffmpeg.QuickState() is not "ok" and var ffmpegState)
        {
            return Results.Ok(new { status = "degraded", audit = chain, ffmpeg = ffmpegState });
        }
        return Results.Ok(new { status = chain == "broken" ? "degraded" : "ok", audit = chain });
    }

    [LoggerMessage(EventId = 9020, Level = LogLevel.Error, Message = "/healthz: the database cannot be opened")]
    private static partial void LogUnhealthy(ILogger logger, Exception exception);

    private static async Task Render(HttpContext http, MetricsExposition exposition)
    {
        http.Response.ContentType = MetricsExposition.ContentType;
        await exposition.WriteAsync(http.Response.Body, http.RequestAborted);
    }
}
