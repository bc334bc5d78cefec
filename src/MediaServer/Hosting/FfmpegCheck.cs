using MediaServer.Recording.Review;

namespace MediaServer.Hosting;

/// <summary>At start: a missing FFmpeg is an error in the log (and /healthz says degraded), not a surprise weeks later.</summary>
public static partial class FfmpegCheck
{
    public static void LogAtStart(WebApplication app)
    {
        var ffmpeg = app.Services.GetRequiredService<FfmpegAvailability>();
        if (ffmpeg.Problem() is { } problem)
        {
            LogMissing(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MediaServer.Ffmpeg"), problem);
        }
    }

    [LoggerMessage(EventId = 9110, Level = LogLevel.Error, Message = "FFmpeg cannot be run: {Problem}. Review copies cannot be rendered: recordings are kept (journal and manifest) but end render_failed; /healthz reports degraded. Fix the path, restart, and render them again (POST /api/recordings/{{id}}/render).")]
    private static partial void LogMissing(ILogger logger, string problem);
}
