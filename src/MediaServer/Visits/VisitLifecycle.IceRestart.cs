using MediaServer.Visits.Timeline;
using Microsoft.Extensions.Logging;

namespace MediaServer.Visits;

/// <summary>
/// ICE restart of a WebRTC leg (docs/api.md, "PATCH a leg"; RFC 9725 §4.3, RFC 8445 §9): the party's page lost its path and
/// sends a new offer on the same leg. The leg keeps its slot, its place in every layout, its recording track and its DTLS
/// association; it is <c>reconnecting</c> from the restart until media arrives on the new path, and then back with the
/// cause "ICE restart".
/// </summary>
public sealed partial class VisitLifecycle
{
    /// <summary>The cause a leg's return after an ICE restart is audited with.</summary>
    public const string IceRestartCause = "ICE restart";

    /// <summary>How long after the new path latched media must arrive for the leg to count as back.</summary>
    private static readonly TimeSpan IceRestartMediaWait = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Restarts ICE on <paramref name="leg"/> for the new <paramref name="offer"/> of the client that holds it: the answer with
    /// the session's new credentials, or a refusal (the visit is over, the leg is closed or plain RTP, the offer is not a
    /// restart of this leg). The caller has checked the token, the leg's owner and its client, and audits.
    /// </summary>
    public (string? Answer, JoinRefusal? Refusal) RestartIce(Visit visit, Leg leg, MediaOffer offer)
    {
        lock (visit.MembershipLock)
        {
            var now = _time.GetUtcNow();
            if (visit.IsFinal || now >= visit.End)
            {
                return (null, new JoinRefusal(visit.State == VisitState.Terminated ? ProblemTypes.VisitTerminated : ProblemTypes.VisitOver, 410,
                    "Visit is over", visit.State == VisitState.Terminated ? "The facility ended this visit." : "This visit has ended."));
            }
            if (leg.IsClosed)
            {
                return (null, new JoinRefusal(ProblemTypes.LegClosed, 410, "Leg closed",
                    $"Leg '{leg.Id}' is {leg.StateName}; join again with the same token to take the seat back."));
            }
            if (leg.WebRtc is not { } webRtc)
            {
                return (null, new JoinRefusal(ProblemTypes.NotWebRtcLeg, 409, "Not a WebRTC leg",
                    "This leg is plain RTP: only a WebRTC leg restarts ICE. Join again to move a plain-RTP client."));
            }
            var (answer, refusal) = webRtc.Restart(offer);
            if (answer is null)
            {
                return (null, refusal);
            }
            if (webRtc.TryWatch())
            {
                webRtc.Session.Latched += _ => OnIceRestartLatched(visit, leg);
            }
            // The page restarts because it lost its path: the party is reconnecting until media arrives on the new one.
            var awaySince = leg.ReconnectingSince ?? leg.RejoiningSince;
            if (leg.ReconnectingSince is null)
            {
                leg.ReconnectingSince = now;
                _audit.Append("system", "system", "visit.leg.reconnecting", $"visit/{visit.Id}/legs/{leg.Id}", $"{leg.Participant.Id}: ICE restart");
                _timeline.Reconnecting(visit, leg, ReconnectCause.IceRestart);
            }
            webRtc.Pending = (now, awaySince ?? now);
            LogIceRestart(_logger, visit.Id, leg.Participant.Id, leg.Id, webRtc.Restarts);
            return (answer, null);
        }
    }

    /// <summary>The new path of a restart latched: the leg is back as soon as media arrives on it (off the packet path).</summary>
    private void OnIceRestartLatched(Visit visit, Leg leg)
    {
        var packets = leg.Party.Counters.PacketsIn;
        _ = WaitForMediaAfterRestartAsync(visit, leg, packets);
    }

    private async Task WaitForMediaAfterRestartAsync(Visit visit, Leg leg, long packetsAtLatch)
    {
        var deadline = _time.GetUtcNow() + IceRestartMediaWait;
        while (!leg.IsClosed && leg.Party.Counters.PacketsIn == packetsAtLatch && _time.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), _time).ConfigureAwait(false);
        }
        lock (visit.MembershipLock)
        {
            if (leg.IsClosed || leg.WebRtc?.Pending is not { } pending || leg.Party.Counters.PacketsIn == packetsAtLatch)
            {
                return;
            }
            leg.WebRtc.Pending = null;
            leg.ReconnectingSince = null;
            var away = _time.GetUtcNow() - (pending.AwaySince ?? pending.At);
            IceRestartBack(visit, leg, away);
        }
    }

    /// <summary>
    /// Held lock: media arrived on the leg's new path after an ICE restart. The visit timeline's
    /// <c>VisitTimeline.Reconnected(visit, leg, ReconnectCause.IceRestart, away)</c> is called here.
    /// </summary>
    private void IceRestartBack(Visit visit, Leg leg, TimeSpan away)
    {
        _timeline.Reconnected(visit, leg, ReconnectCause.IceRestart, away);
        LogBack(_logger, visit.Id, leg.Participant.Id, leg.Id, away.TotalSeconds);
        _audit.Append("system", "system", "visit.leg.back", $"visit/{visit.Id}/legs/{leg.Id}", string.Create(
            System.Globalization.CultureInfo.InvariantCulture, $"{leg.Participant.Id}: back after {away.TotalSeconds:0.#} s ({IceRestartCause})"));
    }

    /// <summary>How long a page that went away (reload or closed tab) keeps its seat before it has left.</summary>
    public static readonly TimeSpan UnloadGrace = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The page holding <paramref name="leg"/> went away (its <c>pagehide</c>: a reload, a closed tab or a navigation; the
    /// page cannot tell which). The leg is <c>reconnecting</c> for <see cref="UnloadGrace"/>: a reload rejoins the seat within
    /// it (and is back), a closed tab has then left. False when the leg was closed already. The caller audits.
    /// </summary>
    public bool Unload(Visit visit, Leg leg)
    {
        lock (visit.MembershipLock)
        {
            if (leg.IsClosed || visit.IsFinal)
            {
                return false;
            }
            if (leg.ReconnectingSince is null)
            {
                leg.ReconnectingSince = _time.GetUtcNow();
                // The timeline says the page went away; a reload's rejoin is then "reconnected", a closed tab "left".
                _timeline.Reconnecting(visit, leg, ReconnectCause.PageReload);
            }
        }
        _ = LeaveAfterUnloadAsync(visit, leg);
        return true;
    }

    private async Task LeaveAfterUnloadAsync(Visit visit, Leg leg)
    {
        await Task.Delay(UnloadGrace, _time).ConfigureAwait(false);
        // Still the same open leg (a rejoin would have closed it) and no media back on it (an ICE restart would have cleared it).
        if (!leg.IsClosed && leg.ReconnectingSince is not null && Depart(visit, leg, LegState.Left, "left (closed the page)", LeftBy.Party))
        {
            _audit.Append("system", "system", "visit.leg.left", $"visit/{visit.Id}/legs/{leg.Id}", $"{leg.Participant.Id}: closed the page");
        }
    }

    [LoggerMessage(EventId = 313, Level = LogLevel.Information, Message = "Visit {VisitId}: {ParticipantId} restarts ICE on leg {LegId} (restart {Count})")]
    private static partial void LogIceRestart(ILogger logger, string visitId, string participantId, string legId, int count);
}
