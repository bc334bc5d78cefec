using MediaServer.Visits.Timeline;
using Microsoft.Extensions.Logging;

namespace MediaServer.Visits;

/// <summary>
/// The part of the lifecycle that keeps a visit up through what networks do to it: a leg whose path fails keeps its seat
/// for the reconnect grace, and a live visit every party has left ends only after the empty grace.
/// </summary>
public sealed partial class VisitLifecycle
{
    /// <summary>The reason a visit ends when every party left after its start and none came back within the empty grace.</summary>
    public const string EveryPartyLeft = "every party left";

    private readonly TimeSpan _emptyGrace;
    private readonly TimeSpan _reconnectGrace;

    /// <summary>
    /// A leg's transport failed. A leg that never had media (DTLS refused, no path at all) is gone at once, unless it is a
    /// rejoin of a reconnecting seat; one that had media is <c>reconnecting</c>: it stays attached (its slot, its place in the others' layout, its recording track)
    /// until a join from the same client replaces it or <see cref="ExpireReconnects"/> closes it after the grace.
    /// </summary>
    private void OnTransportFailed(Visit visit, Leg leg, string reason)
    {
        var target = $"visit/{visit.Id}/legs/{leg.Id}";
        lock (visit.MembershipLock)
        {
            if (leg.IsClosed || leg.ReconnectingSince is not null)
            {
                return;
            }
            // A rejoin that fails before its media keeps the grace its seat started with.
            if ((leg.Party.Counters.PacketsIn > 0 || leg.RejoiningSince is not null) && !visit.IsFinal)
            {
                leg.ReconnectingSince = leg.Party.Counters.PacketsIn > 0 ? _time.GetUtcNow() : leg.RejoiningSince;
                LogReconnecting(_logger, visit.Id, leg.Participant.Id, leg.Id, reason);
                _audit.Append("system", "system", "visit.leg.reconnecting", target, $"{leg.Participant.Id}: {reason}");
                _timeline.Reconnecting(visit, leg, ReconnectCause.ConsentLost);
                return;
            }
        }
        if (Depart(visit, leg, LegState.Closed, reason, LeftBy.Network))
        {
            _audit.Append("system", "system", "visit.leg.lost", target, reason);
        }
    }

    /// <summary>Held lock: the participant took its seat back with a new leg.</summary>
    private void AuditBack(Visit visit, Leg previous, Leg leg, TimeSpan away)
    {
        LogBack(_logger, visit.Id, leg.Participant.Id, leg.Id, away.TotalSeconds);
        _audit.Append("system", "system", "visit.leg.back", $"visit/{visit.Id}/legs/{leg.Id}", string.Create(
            System.Globalization.CultureInfo.InvariantCulture, $"{leg.Participant.Id}: back after {away.TotalSeconds:0.#} s (was leg {previous.Id})"));
    }

    /// <summary>Closes, as left, every leg that has been reconnecting for longer than the reconnect grace (the schedule tick).</summary>
    public void ExpireReconnects()
    {
        var now = _time.GetUtcNow();
        foreach (var visit in _registry.InMemory)
        {
            if (visit.IsFinal)
            {
                continue;
            }
            foreach (var leg in visit.OpenLegs())
            {
                if (leg.ReconnectingSince is not { } since || now - since < _reconnectGrace)
                {
                    continue;
                }
                var why = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"did not reconnect within {_reconnectGrace.TotalSeconds:0.#} s");
                if (Depart(visit, leg, LegState.Left, why, LeftBy.Network))
                {
                    _audit.Append("system", "system", "visit.leg.left", $"visit/{visit.Id}/legs/{leg.Id}", $"{leg.Participant.Id}: {why}");
                }
            }
        }
    }

    /// <summary>
    /// Ends every live visit that has had no party for the empty grace (the schedule tick).
    /// </summary>
    public void EndEmptyVisits()
    {
        var now = _time.GetUtcNow();
        foreach (var visit in _registry.InMemory)
        {
            if (visit.State != VisitState.Live || visit.EmptySince is null)
            {
                continue;
            }
            lock (visit.MembershipLock)
            {
                if (visit.EmptySince is { } since && now - since >= _emptyGrace && visit.OpenLegs().Count == 0
                    && Finish(visit, VisitState.Ended, EveryPartyLeft, null))
                {
                    _audit.Append("system", "system", "visit.end", "visit/" + visit.Id, EveryPartyLeft);
                }
            }
        }
    }

    [LoggerMessage(EventId = 311, Level = LogLevel.Information, Message = "Visit {VisitId}: {ParticipantId} is reconnecting (leg {LegId}): {Why}")]
    private static partial void LogReconnecting(ILogger logger, string visitId, string participantId, string legId, string why);

    [LoggerMessage(EventId = 312, Level = LogLevel.Information, Message = "Visit {VisitId}: {ParticipantId} is back on leg {LegId} after {Seconds} s")]
    private static partial void LogBack(ILogger logger, string visitId, string participantId, string legId, double seconds);
}
