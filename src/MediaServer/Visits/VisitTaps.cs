using System.Net;
using Microsoft.Extensions.Logging;

namespace MediaServer.Visits;

/// <summary>
/// Officers' taps of a visit: opened under the visit's membership lock within the visit's and the officer's budgets, closed
/// by the officer, by a failed transport, or with the visit; every close is audited with the tap's officer named.
/// </summary>
internal sealed partial class VisitTaps
{
    private readonly PlainRtpJoin _joiner;
    private readonly WebRtcJoin _webRtcJoiner;
    private readonly VisitBudgets _budgets;
    private readonly IAuditLog _audit;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public VisitTaps(PlainRtpJoin joiner, WebRtcJoin webRtcJoiner, VisitBudgets budgets, IAuditLog audit, TimeProvider time, ILogger logger)
    {
        _joiner = joiner;
        _webRtcJoiner = webRtcJoiner;
        _budgets = budgets;
        _audit = audit;
        _time = time;
        _logger = logger;
        _webRtcJoiner.TapTransportFailed += OnTapTransportFailed;
    }

    /// <summary>
    /// Opens an officer's tap: a receive-only leg the router fills like a participant's, but hidden from the participants.
    /// Refused for a privileged visit (403) and for a visit that is over (410), as a join is. The caller audits.
    /// </summary>
    /// <param name="audio">What the tap's audio m-line carries when not each party's stream (mixed audio): asked while the
    /// tap is planned, before it is built; a refusal it returns is the outcome.</param>
    public TapOutcome Open(Visit visit, MediaOffer offer, IPAddress clientAddress, string officerId, string officerRole,
        ITapAudio? audio = null)
    {
        lock (visit.MembershipLock)
        {
            var now = _time.GetUtcNow();
            if (visit.Privileged)
            {
                return new TapOutcome(null, null, null, new JoinRefusal(ProblemTypes.Privileged, 403, "Privileged visit",
                    "This is a privileged (attorney or clergy) visit: nobody may watch or listen to it."));
            }
            if (visit.IsFinal || now >= visit.End)
            {
                return new TapOutcome(null, null, null, new JoinRefusal(visit.State == VisitState.Terminated ? ProblemTypes.VisitTerminated : ProblemTypes.VisitOver, 410, "Visit is over",
                    visit.State == VisitState.Terminated ? "The facility ended this visit." : "This visit has ended."));
            }
            if (_budgets.CheckTap(visit, offer) is { } overBudget)
            {
                return new TapOutcome(null, null, null, overBudget);
            }
            // The officer's allowance is taken before any port is bound and given back if the tap does not open.
            if (!_budgets.TryReserveTap(officerId))
            {
                return new TapOutcome(null, null, null, _budgets.OfficerTapRefusal);
            }
            Tap? tap;
            IReadOnlyList<AnsweredMedia>? answer = null;
            string? answerSdp = null;
            JoinRefusal? refusal;
            if (offer.IsWebRtc)
            {
                (tap, answerSdp, refusal) = _webRtcJoiner.PlanTap(visit, offer, officerId, officerRole, now, audio);
            }
            else
            {
                (tap, answer, refusal) = _joiner.PlanTap(visit, offer, clientAddress, officerId, officerRole, now, audio);
            }
            if (tap is null)
            {
                _budgets.ReleaseTap(officerId);
                return new TapOutcome(null, null, null, refusal);
            }
            tap.PortPairs = VisitBudgets.PortPairsOf(answer);
            visit.AddTap(tap);
            // Attaching assigns the tap's slots; a plain-RTP slot asks its new source for a keyframe at once (a WebRTC one
            // once DTLS is up), so the tap's first picture comes within a round trip to the sender.
            visit.Router.AttachTap(tap.Party);
            tap.Start();
            LogTapOpened(_logger, visit.Id, tap.Id, officerId);
            return new TapOutcome(tap, answer, answerSdp, null);
        }
    }

    /// <summary>Ends a tap (the officer's DELETE); false when it was already closed. The caller audits.</summary>
    public bool Close(Visit visit, Tap tap)
    {
        lock (visit.MembershipLock)
        {
            return CloseTapLocked(visit, tap, _time.GetUtcNow(), "closed by the officer");
        }
    }

    private bool CloseTapLocked(Visit visit, Tap tap, DateTimeOffset now, string why)
    {
        if (!tap.Close(now))
        {
            return false;
        }
        _budgets.ReleaseTap(tap.OfficerId);
        visit.Router.DetachTap(tap.Party);
        visit.RemoveTap(tap);
        LogTapClosed(_logger, visit.Id, tap.Id, why);
        return true;
    }

    /// <summary>Closes every tap of a visit that is over (held lock); returns them so they can be audited after the lock.</summary>
    public List<Tap> CloseAllLocked(Visit visit, DateTimeOffset now, string why)
    {
        var closed = new List<Tap>();
        foreach (var tap in visit.OpenTaps())
        {
            if (CloseTapLocked(visit, tap, now, why))
            {
                closed.Add(tap);
            }
        }
        return closed;
    }

    public void AuditClosed(Visit visit, List<Tap> taps, string why)
    {
        // The tap's officer is named: the audit must show whose monitoring ended, and why.
        foreach (var tap in taps)
        {
            _audit.Append(tap.OfficerId, tap.OfficerRole, "visit.tap.stop", $"visit/{visit.Id}/taps/{tap.Id}", "closed: " + why);
        }
    }

    private void OnTapTransportFailed(Visit visit, Tap tap, string reason)
    {
        bool closed;
        lock (visit.MembershipLock)
        {
            closed = CloseTapLocked(visit, tap, _time.GetUtcNow(), reason);
        }
        if (closed)
        {
            AuditClosed(visit, [tap], reason);
        }
    }

    [LoggerMessage(EventId = 304, Level = LogLevel.Information, Message = "Visit {VisitId}: tap {TapId} opened by {OfficerId}")]
    private static partial void LogTapOpened(ILogger logger, string visitId, string tapId, string officerId);

    [LoggerMessage(EventId = 305, Level = LogLevel.Information, Message = "Visit {VisitId}: tap {TapId} closed: {Why}")]
    private static partial void LogTapClosed(ILogger logger, string visitId, string tapId, string why);
}
