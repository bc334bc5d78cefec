using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MediaServer.Visits.Timeline;

/// <summary>Runs <see cref="VisitTimeline.Sample"/> about once a second (a cold timer: the packet path is untouched).</summary>
public sealed partial class TimelineSampler(VisitTimeline timeline, TimeProvider time, ILogger<TimelineSampler> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                timeline.Sample(time.GetUtcNow());
            }
            catch (Exception e)
            {
                LogSampleFailed(logger, e);
            }
        }
    }

    [LoggerMessage(EventId = 333, Level = LogLevel.Error, Message = "Sampling the visit timelines failed; retrying next second")]
    private static partial void LogSampleFailed(ILogger logger, Exception exception);
}
