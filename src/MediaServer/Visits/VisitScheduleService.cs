using MediaServer.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MediaServer.Visits;

/// <summary>Enforces scheduled ends: every tick, visits past their end are closed (legs first, then the state).</summary>
public sealed partial class VisitScheduleService(VisitLifecycle lifecycle, IOptions<MediaServerOptions> options, TimeProvider time,
    ILogger<VisitScheduleService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Visits.LifecycleTick, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                lifecycle.EndDueVisits();
            }
            catch (Exception e)
            {
                // A failing database write must not stop the enforcement of the other visits' ends.
                LogTickFailed(logger, e);
            }
        }
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Error, Message = "Ending due visits failed; retrying next tick")]
    private static partial void LogTickFailed(ILogger logger, Exception exception);
}
