using System.Globalization;
using MediaServer.Visits.Timeline;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MediaServer.Visits;

/// <summary>
/// Restarts (docs/architecture.md, "Restarts"). At start, after every service has started (journals recovered), each visit
/// that was live and is not past its end is live again: audited as resumed (and the start, when it resumed any), so its parties' fresh joins with their tokens
/// continue it. On SIGTERM, before any service stops, the server drains: <see cref="IsDraining"/> turns the pages' joins,
/// roster polls and leaves into 503 <c>restarting</c> (Retry-After: 1) for <see cref="VisitOptions.DrainWindow"/>, long
/// enough for every page's roster poll to hear it (no wait when no party is connected), and no visit ends because its legs close while the server stops.
/// </summary>
public sealed partial class ServerDrain(VisitRegistry registry, IAuditLog audit, IOptions<VisitOptions> options, TimeProvider time,
    VisitTimeline timeline, ILogger<ServerDrain> logger) : IHostedLifecycleService
{
    private volatile bool _draining;

    /// <summary>True from SIGTERM (or any host stop) on: new joins, roster polls and leaves are answered 503 <c>restarting</c>.</summary>
    public bool IsDraining => _draining;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Every live visit not past its end is live again (audited once per visit, and the start once).</summary>
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var resumed = 0;
        foreach (var visit in registry.InMemory)
        {
            if (visit.State != VisitState.Live || now >= visit.End)
            {
                continue; // a live visit past its end is ended by the next lifecycle tick, as any other
            }
            resumed++;
            audit.Append("system", "system", "visit.resumed", "visit/" + visit.Id,
                string.Create(CultureInfo.InvariantCulture, $"server restarted; live until its scheduled end {visit.End:O}"));
            LogResumed(logger, visit.Id, visit.End);
            // Each returning party's reconnect is a server restart on the visit's timeline.
            timeline.Resumed(visit);
        }
        if (resumed > 0)
        {
            // A start that resumes nothing is the start checkpoint's business (AuditStartup).
            audit.Append("system", "system", "server.start", "server",
                string.Create(CultureInfo.InvariantCulture, $"ok: {resumed} live visit(s) resumed"));
        }
        return Task.CompletedTask;
    }

    /// <summary>Runs before any service stops (Kestrel still answers): refuses with 503 restarting for the drain window.</summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _draining = true;
        var window = options.Value.DrainWindow;
        var live = 0;
        var connected = 0;
        foreach (var visit in registry.InMemory)
        {
            live += visit.State == VisitState.Live ? 1 : 0;
            connected += visit.OpenLegs().Count;
            if (visit.State == VisitState.Live)
            {
                timeline.Draining(visit); // its connected parties are reconnecting for a server restart, their media saved
            }
        }
        if (connected == 0)
        {
            window = TimeSpan.Zero; // nobody to tell: stop at once
        }
        if (live + connected > 0)
        {
            // A stop with no live visit and nobody connected is only the shutdown checkpoint's business.
            audit.Append("system", "system", "server.drain", "server", string.Create(CultureInfo.InvariantCulture,
                $"ok: stopping; {live} live visit(s) kept for their parties' rejoin; {connected} connected part(ies) told for {window.TotalSeconds:0.#} s"));
        }
        LogDraining(logger, live, window);
        try
        {
            await Task.Delay(window, time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The shutdown timeout cut the window short: the rest of the stop goes on.
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 320, Level = LogLevel.Information, Message = "Visit {VisitId} resumed after a restart: live until {End}")]
    private static partial void LogResumed(ILogger logger, string visitId, DateTimeOffset end);

    [LoggerMessage(EventId = 321, Level = LogLevel.Information, Message = "Draining: {Live} live visits kept; joins, rosters and leaves answer 503 restarting for {Window}")]
    private static partial void LogDraining(ILogger logger, int live, TimeSpan window);
}
