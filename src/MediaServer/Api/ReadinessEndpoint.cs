using MediaServer.Recording;
using MediaServer.Recording.Review;
using MediaServer.Transport;
using MediaServer.Visits;
using Microsoft.Extensions.Options;

namespace MediaServer.Api;

/// <summary>
/// <c>/readyz</c> (docs/api.md, "Operations"): whether this server can take a recorded visit now, each part with its state —
/// the database, free space on the recordings disk, FFmpeg, the render backlog and the media ports. 200 when every part is
/// ready, 503 when one is not; a backlog is reported, never a reason to be unready (the recordings are kept meanwhile).
/// Anonymous like <c>/healthz</c> (a load balancer asks it): states and counts only, never a path or an error's text.
/// </summary>
public static partial class ReadinessEndpoint
{
    /// <summary>Above this many sealed recordings waiting for their review copy, the backlog is <c>behind</c>.</summary>
    public const int BacklogBehind = 20;

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/readyz", Ready).WithTags("Operations").WithName("Ready")
            .WithSummary("Readiness: database, recordings disk, FFmpeg, render backlog, media ports, each with its state (anonymous): 200 ready, 503 not.");

    private static IResult Ready(IVisitStore store, PortAllocator ports, FfmpegAvailability ffmpeg, RecordingService recordings,
        IOptions<RecordingOptions> options, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger("MediaServer.Readiness");
        var ready = true;

        // 1. The database opens.
        var failure = store.Probe();
        var database = failure is null ? "ok" : "failing";
        if (failure is not null)
        {
            LogDatabase(logger, failure);
            ready = false;
        }

        // 2. The recordings disk has room for a visit (only when recording is on).
        object disk = "off";
        if (options.Value.Enabled)
        {
            var (free, state) = FreeSpace(options.Value, logger);
            ready &= state == "ok";
            disk = new { state, freeBytes = free };
        }

        // 3. FFmpeg runs (review copies can be made).
        var ffmpegState = ffmpeg.State();
        ready &= ffmpegState == "ok";

        // 4. The render backlog (reported only).
        var backlog = options.Value.Enabled ? recordings.RenderBacklog() : 0;

        // 5. A media port pair is free for the next join.
        var freePairs = Math.Max(0, ports.Capacity - ports.InUse);
        ready &= freePairs > 0;

        var body = new
        {
            status = ready ? "ready" : "unready",
            checks = new
            {
                database,
                recordingsDisk = disk,
                ffmpeg = ffmpegState,
                renderBacklog = new { state = backlog > BacklogBehind ? "behind" : "ok", waiting = backlog },
                mediaPorts = new { state = freePairs > 0 ? "ok" : "exhausted", freePairs },
            },
        };
        return Results.Json(body, statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>Free bytes on the disk holding the recordings folder (its nearest existing ancestor), and whether that is enough.</summary>
    private static (long? Free, string State) FreeSpace(RecordingOptions options, ILogger logger)
    {
        try
        {
            var path = options.RootDirectory;
            while (!Directory.Exists(path) && Path.GetDirectoryName(path) is { } parent)
            {
                path = parent;
            }
            var free = new DriveInfo(path).AvailableFreeSpace;
            return (free, free >= options.ReadyMinFreeBytes ? "ok" : "full");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            LogDisk(logger, e);
            return (null, "failing");
        }
    }

    [LoggerMessage(EventId = 9021, Level = LogLevel.Error, Message = "/readyz: the database cannot be opened")]
    private static partial void LogDatabase(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 9022, Level = LogLevel.Error, Message = "/readyz: the free space of the recordings disk cannot be read")]
    private static partial void LogDisk(ILogger logger, Exception exception);
}
