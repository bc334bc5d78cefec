using MediaServer.Recording.Review;

namespace MediaServer.Hosting;

/// <summary>At start: a missing or unusable FFmpeg (too old, no libx264, no drawtext) is an error in the log (and /healthz says degraded), not a surprise weeks later.</summary>
public static partial class FfmpegCheck
{
    /// <summary>
    /// A missing binary is logged at once; what a present one can do is asked in the background (a process or two, ~0.1 s),
    /// so start-up does not wait for it, and logged when it cannot render.
    /// </summary>
    public static void LogAtStart(WebApplication app)
    {
        var ffmpeg = app.Services.GetRequiredService<FfmpegAvailability>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MediaServer.Ffmpeg");
        if (ffmpeg.QuickState() == "missing")
        {
            LogMissing(logger, ffmpeg.Problem()!);
            return;
        }
        _ = Task.Run(() =>
        {
            if (ffmpeg.Problem() is { } problem)
            {
                LogMissing(logger, problem);
            }
        });
    }

    [LoggerMessage(EventId = 9110, Level = LogLevel.Error, Message = "FFmpeg cannot render review copies: {Problem}. Recordings are kept (journal and manifest) but end render_failed; /healthz reports degraded and /readyz unready. Fix it, restart, and render them again (POST /api/recordings/{{id}}/render).")]
    private static partial void LogMissing(ILogger logger, string problem);
}
