using MediaServer.Auth;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MediaServer.Visits;

/// <summary>
/// Enforces scheduled ends (every tick, visits past their end are closed, legs first), the reconnect and empty graces, and
/// sends RTCP reports about once a second; once an hour it forgets the join bindings of tokens that have all expired.
/// </summary>
public sealed partial class VisitScheduleService(VisitLifecycle lifecycle, JoinBindings bindings, IOptions<VisitOptions> options,
    IOptions<AuthOptions> auth, TimeProvider time, ILogger<VisitScheduleService> logger) : BackgroundService
{
    private static readonly TimeSpan PruneInterval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.LifecycleTick, time);
        var nextReport = time.GetUtcNow();
        var nextPrune = time.GetUtcNow();
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                lifecycle.EndDueVisits();
                lifecycle.CloseSilentPrivilegedLegs();
                lifecycle.ExpireReconnects();
                lifecycle.EndEmptyVisits();
                var now = time.GetUtcNow();
                if (now >= nextReport)
                {
                    // RFC 3550 §6.2 randomises the interval; once a second (±0.5 s) is what WebRTC peers do too.
                    nextReport = now + TimeSpan.FromMilliseconds(500 + Random.Shared.Next(1000));
                    lifecycle.SendReports(now);
                }
                if (now >= nextPrune)
                {
                    nextPrune = now + PruneInterval;
                    var forgotten = bindings.ForgetExpired(now, auth.Value.AfterEndGrace);
                    if (forgotten > 0)
                    {
                        LogBindingsForgotten(logger, forgotten);
                    }
                }
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

    [LoggerMessage(EventId = 339, Level = LogLevel.Information, Message = "Forgot the join bindings of {Count} expired participant tokens")]
    private static partial void LogBindingsForgotten(ILogger logger, int count);
}
