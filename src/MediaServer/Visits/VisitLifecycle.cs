using System.Net;
using MediaServer.Visits.Timeline;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MediaServer.Visits;

/// <summary>A join's result: the leg and its answer (plain RTP: the m-lines to write; WebRTC: the SDP text), or a refusal.</summary>
public sealed record JoinOutcome(Leg? Leg, IReadOnlyList<AnsweredMedia>? Answer, string? AnswerSdp, JoinRefusal? Refusal);

/// <summary>A tap's result: the tap and its answer (as for a join), or a refusal.</summary>
public sealed record TapOutcome(Tap? Tap, IReadOnlyList<AnsweredMedia>? Answer, string? AnswerSdp, JoinRefusal? Refusal);

/// <summary>
/// Moves visits through their lifecycle and opens and closes their legs: joins (inside the scheduled window only), leaves,
/// terminate, the scheduled end, "every party gone" past the empty grace, and legs reconnecting (VisitLifecycle.Continuity.cs). Each visit's membership changes are serialised by its own lock.
/// </summary>
public sealed partial class VisitLifecycle
{
    private readonly VisitRegistry _registry;
    private readonly PlainRtpJoin _joiner;
    private readonly WebRtcJoin _webRtcJoiner;
    private readonly IAuditLog _audit;
    private readonly TimeProvider _time;
    private readonly TimeSpan _joinGrace;
    private readonly TimeSpan _privilegedSilenceLimit;
    private readonly ILogger<VisitLifecycle> _logger;
    private readonly IVisitObserver[] _observers;
    private readonly IJoinGate[] _gates;
    private readonly JoinBindings _bindings;
    private readonly VisitBudgets _budgets;
    private readonly VisitTaps _taps;
    private readonly ServerDrain? _drain;
    private readonly VisitTimeline _timeline;

    /// <summary>Refusal titles the join endpoint audits with the client named.</summary>
    public const string TokenInUseTitle = "Join code in use";
    public const string AlreadyConnectedTitle = "Already connected";
    public const string PublishesNothingTitle = "Nothing to send";

    /// <param name="observers">Told of every join, leave, flag and end (the recorder is one).</param>
    /// <param name="gates">Asked before every join (the recorder refuses a visit it cannot record under <c>refuse</c>).</param>
    public VisitLifecycle(VisitRegistry registry, PlainRtpJoin joiner, WebRtcJoin webRtcJoiner, IAuditLog audit, TimeProvider time,
        IOptions<VisitOptions> options, IOptions<LimitOptions> limits, IEnumerable<IVisitObserver> observers, IEnumerable<IJoinGate> gates,
        JoinBindings bindings, VisitTimeline timeline, ILogger<VisitLifecycle> logger, ServerDrain? drain = null)
    {
        _timeline = timeline;
        _drain = drain;
        _bindings = bindings;
        _observers = [.. observers];
        _gates = [.. gates];
        _registry = registry;
        _joiner = joiner;
        _audit = audit;
        _time = time;
        _joinGrace = options.Value.JoinGrace;
        _budgets = new VisitBudgets(options.Value.MaxVisitors, limits.Value);
        _privilegedSilenceLimit = options.Value.PrivilegedSilenceLimit;
        _emptyGrace = options.Value.EmptyGrace;
        _reconnectGrace = options.Value.ReconnectGrace;
        _logger = logger;
        _webRtcJoiner = webRtcJoiner;
        _taps = new VisitTaps(joiner, webRtcJoiner, _budgets, audit, time, logger);
        _joiner.FirstMedia += OnFirstMedia;
        _webRtcJoiner.FirstMedia += OnFirstMedia;
        _webRtcJoiner.TransportFailed += OnTransportFailed;
        foreach (var gate in _gates)
        {
            gate.VisitMustEnd += OnVisitMustEnd;
        }
    }

    /// <summary>
    /// Joins a participant. The token is bound to the first client that joins with it: another client presenting it is
    /// refused (409), and so is a client other than the one holding the participant's open leg, so a copied or re-minted
    /// token never takes over a live leg. On a privileged visit a leg that publishes nothing is refused (403): nobody
    /// listens in as a silent party. The caller audits refusals.
    /// </summary>
    public JoinOutcome Join(Visit visit, Participant participant, MediaOffer offer, IPAddress clientAddress, JoinClient client)
    {
        lock (visit.MembershipLock)
        {
            var now = _time.GetUtcNow();
            if (visit.IsFinal || now >= visit.End)
            {
                return new JoinOutcome(null, null, null, new JoinRefusal(visit.State == VisitState.Terminated ? ProblemTypes.VisitTerminated : ProblemTypes.VisitOver, 410, "Visit is over",
                    visit.State == VisitState.Terminated ? "The facility ended this visit." : "This visit has ended."));
            }
            if (now < visit.Start - _joinGrace)
            {
                return new JoinOutcome(null, null, null, new JoinRefusal(ProblemTypes.TooEarly, 403, "Too early",
                    $"This visit opens at {(visit.Start - _joinGrace):O}.") { OpensAt = visit.Start - _joinGrace });
            }
            if (_bindings.Check(client) == BindingMatch.Other)
            {
                LogTokenInUse(_logger, visit.Id, participant.Id, client.TokenId, client.Address.ToString());
                return new JoinOutcome(null, null, null, new JoinRefusal(ProblemTypes.TokenInUse, 409, TokenInUseTitle,
                    "This join code is already in use on another device. Join from the device that first used it, or ask the facility for a new code."));
            }
            if (visit.LatestLeg(participant.Id) is { IsClosed: false, Client: { } holder }
                && !string.Equals(holder.Credential, client.Credential, StringComparison.Ordinal))
            {
                LogTokenInUse(_logger, visit.Id, participant.Id, client.TokenId, client.Address.ToString());
                return new JoinOutcome(null, null, null, new JoinRefusal(ProblemTypes.AlreadyConnected, 409, AlreadyConnectedTitle,
                    $"{participant.Name} is already connected to this visit from another device. Leave the visit there first."));
            }
            if (_budgets.CheckJoin(visit, participant, offer) is { } overBudget)
            {
                return new JoinOutcome(null, null, null, overBudget);
            }
            // Fail closed: a visit that must be recorded and cannot be is refused before any port is taken.
            foreach (var gate in _gates)
            {
                if (gate.PrepareJoin(visit) is { } refused)
                {
                    return new JoinOutcome(null, null, null, refused);
                }
            }
            Leg? leg;
            IReadOnlyList<AnsweredMedia>? answer = null;
            string? answerSdp = null;
            JoinRefusal? refusal;
            if (offer.IsWebRtc)
            {
                (leg, answerSdp, refusal) = _webRtcJoiner.Plan(visit, participant, offer, now);
            }
            else
            {
                (leg, answer, refusal) = _joiner.Plan(visit, participant, offer, clientAddress, now);
            }
            if (leg is null)
            {
                return new JoinOutcome(null, null, null, refusal);
            }
            if (visit.Privileged && !leg.Sends)
            {
                leg.Close(LegState.Closed, now);
                return new JoinOutcome(null, null, null, new JoinRefusal(ProblemTypes.PrivilegedSilent, 403, PublishesNothingTitle,
                    "On a privileged visit every party is seen or heard: the offer must send audio or video (sendrecv or sendonly)."));
            }
            leg.Client = client;
            _bindings.Bind(client, visit.Id, participant.Id, now);
            leg.PortPairs = VisitBudgets.PortPairsOf(answer);
            var replaced = visit.AddLeg(leg);
            // The same client again while its leg still worked: the page was reloaded (a reconnecting seat has its cause already).
            if (replaced is { ReconnectingSince: null, RejoiningSince: null } && replaced.Party.Counters.PacketsIn > 0)
            {
                _timeline.Reconnecting(visit, replaced, ReconnectCause.PageReload);
            }
            replaced?.Close(LegState.Closed, now);
            _timeline.TokenUsed(visit, leg);
            // The router keeps the participant's place (its join order) for the new leg: the seat is taken back.
            visit.Router.Attach(leg.Party);
            visit.EmptySince = null;
            // Before the sockets start: the journal must have the tracks before their first packet.
            foreach (var observer in _observers)
            {
                observer.OnJoined(visit, leg);
            }
            _timeline.Joined(visit, leg);
            leg.Start();
            LogJoined(_logger, visit.Id, participant.Id, leg.Id);
            // A rejoin that replaces a seat which had media (or was reconnecting) is that party reconnecting.
            var hadMedia = replaced is not null && replaced.Party.Counters.PacketsIn > 0 ? now : (DateTimeOffset?)null;
            if ((replaced?.ReconnectingSince ?? replaced?.RejoiningSince ?? hadMedia) is { } since)
            {
                leg.RejoiningSince = since;
                AuditBack(visit, replaced!, leg, now - since);
            }
            return new JoinOutcome(leg, answer, answerSdp, null);
        }
    }

    /// <summary>
    /// Opens an officer's tap (<see cref="VisitTaps.Open"/>): refused for a privileged visit (403) and for a visit that is over
    /// (410), as a join is. The caller audits.
    /// </summary>
    public TapOutcome OpenTap(Visit visit, MediaOffer offer, IPAddress clientAddress, string officerId, string officerRole,
        ITapAudio? audio = null) => _taps.Open(visit, offer, clientAddress, officerId, officerRole, audio);

    /// <summary>Ends a tap (the officer's DELETE); false when it was already closed. The caller audits.</summary>
    public bool CloseTap(Visit visit, Tap tap) => _taps.Close(visit, tap);

    /// <summary>
    /// The participant left: closes its leg. When it was the last party of a live visit the empty grace starts
    /// (<see cref="EndEmptyVisits"/>); before the start the visit is scheduled again: leaving the waiting room ends nothing.
    /// </summary>
    public void Leave(Visit visit, Leg leg) => Depart(visit, leg, LegState.Left, "left", LeftBy.Party);

    /// <summary>Closes the leg; false when it was closed already.</summary>
    private bool Depart(Visit visit, Leg leg, LegState state, string why, LeftBy by)
    {
        lock (visit.MembershipLock)
        {
            var now = _time.GetUtcNow();
            if (!leg.Close(state, now))
            {
                return false;
            }
            var left = visit.Router.Detach(leg.Party);
            LogLeft(_logger, visit.Id, leg.Participant.Id, leg.Id, why);
            foreach (var observer in _observers)
            {
                observer.OnLeft(visit, leg, why);
            }
            if (_drain is { IsDraining: true })
            {
                _timeline.Reconnecting(visit, leg, ReconnectCause.ServerRestart);
            }
            else
            {
                _timeline.Left(visit, leg, by, why);
            }
            // A server that stops keeps its live visits (they resume at the next start): legs closing now start no grace.
            if (left == 0 && visit.State == VisitState.Live && _drain is not { IsDraining: true })
            {
                // Before the start the parties were only in the waiting room: the visit is scheduled again. After it, the
                // empty grace starts (EndEmptyVisits).
                if (now < visit.Start && visit.TryTransition(VisitState.Scheduled, now))
                {
                    _registry.SaveState(visit);
                    _audit.Append("system", "system", "visit.waiting", "visit/" + visit.Id, "every party left before the start: still scheduled");
                }
                else
                {
                    visit.EmptySince = now;
                }
            }
        }
        return true;
    }

    /// <summary>An officer ended the visit: every leg is closed before this returns.</summary>
    public bool Terminate(Visit visit, string reason) => Finish(visit, VisitState.Terminated, reason, LeftBy.Officer);

    /// <summary>Ends every visit whose scheduled end has passed (run by <see cref="VisitScheduleService"/>).</summary>
    public void EndDueVisits()
    {
        var now = _time.GetUtcNow();
        foreach (var visit in _registry.InMemory)
        {
            if (!visit.IsFinal && now >= visit.End && Finish(visit, VisitState.Ended, "scheduled end", LeftBy.ScheduledEnd))
            {
                _audit.Append("system", "system", "visit.end", "visit/" + visit.Id, "scheduled end");
            }
        }
    }

    /// <summary>
    /// Closes every leg of a privileged visit from which no media has arrived for the silence limit: nobody stays in a
    /// privileged visit as a listener that is neither seen nor heard. Audited as the system, with the reason.
    /// </summary>
    public void CloseSilentPrivilegedLegs()
    {
        var now = _time.GetUtcNow();
        foreach (var visit in _registry.InMemory)
        {
            if (!visit.Privileged || visit.IsFinal)
            {
                continue;
            }
            foreach (var leg in visit.OpenLegs())
            {
                if (!leg.IsSilentFor(_privilegedSilenceLimit, now))
                {
                    continue;
                }
                var why = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"privileged visit: no media from the party for {_privilegedSilenceLimit.TotalSeconds:0.#} s");
                if (Depart(visit, leg, LegState.Closed, why, LeftBy.Silence))
                {
                    _audit.Append("system", "system", "visit.leg.closed", $"visit/{visit.Id}/legs/{leg.Id}", $"closed: {why} ({leg.Participant.Id})");
                }
            }
        }
    }

    /// <summary>Sends each open leg its sender and receiver reports.</summary>
    public void SendReports(DateTimeOffset now)
    {
        foreach (var visit in _registry.InMemory)
        {
            if (visit.State != VisitState.Live)
            {
                continue;
            }
            foreach (var leg in visit.OpenLegs())
            {
                Routing.RtcpReporter.Report(leg.Party, now);
            }
            // Taps get sender reports for what they receive (players need them for lip sync); they send none upstream.
            foreach (var tap in visit.OpenTaps())
            {
                Routing.RtcpReporter.Report(tap.Party, now);
            }
        }
    }

    /// <param name="by">Who ends it (null: every party had left, nobody is closed).</param>
    private bool Finish(Visit visit, VisitState state, string reason, LeftBy? by)
    {
        List<Tap> closedTaps;
        var whyTaps = state == VisitState.Ended && reason == EveryPartyLeft ? "visit ended (every party left)" : null;
        var why = (state == VisitState.Terminated ? "visit terminated: " : "visit ended: ") + reason;
        lock (visit.MembershipLock)
        {
            var now = _time.GetUtcNow();
            if (visit.IsFinal)
            {
                return false;
            }
            // Legs and taps close before the state changes, so that anyone who reads "terminated" or "ended" (the API
            // does not take this lock) also reads every connection closed.
            visit.Router.DetachAll();
            foreach (var leg in visit.OpenLegs())
            {
                leg.Close(LegState.Closed, now);
                _timeline.Left(visit, leg, by ?? LeftBy.Network, why);
            }
            closedTaps = _taps.CloseAllLocked(visit, now, whyTaps ?? why);
            visit.TryTransition(state, now, reason); // Always allowed: the visit is not final and this lock is held.
            _registry.SaveState(visit);
            // Before the observers: the recorder seals the journal when told of the end, and the entry must be in it.
            _timeline.Ended(visit, by, reason);
            Ended(visit, state == VisitState.Terminated ? "terminated: " + reason : reason);
            LogFinished(_logger, visit.Id, state, reason);
        }
        _taps.AuditClosed(visit, closedTaps, whyTaps ?? why);
        return true;
    }

    /// <summary>
    /// The recording of a visit under way failed and MediaServer:Recording:OnFailure is refuse: the visit ends (every leg
    /// closed), audited with the reason, rather than going on unrecorded.
    /// </summary>
    private void OnVisitMustEnd(string visitId, string reason)
    {
        if (_registry.Get(visitId) is not { } visit || visit.Privileged)
        {
            return;
        }
        const string why = "the recording failed; a visit that cannot be recorded cannot go on";
        if (Finish(visit, VisitState.Terminated, why, LeftBy.ServerFault))
        {
            _audit.Append("system", "system", "visit.terminate", "visit/" + visit.Id, "ok: " + why + " (" + reason + ")");
        }
    }

    /// <summary>Held lock: tells every observer the visit is over.</summary>
    private void Ended(Visit visit, string reason)
    {
        foreach (var observer in _observers)
        {
            observer.OnEnded(visit, reason);
        }
    }

    private void OnFirstMedia(Visit visit)
    {
        if (visit.State != VisitState.Scheduled)
        {
            return;
        }
        lock (visit.MembershipLock)
        {
            if (visit.TryTransition(VisitState.Live, _time.GetUtcNow()))
            {
                _registry.SaveState(visit);
                LogLive(_logger, visit.Id);
                foreach (var observer in _observers)
                {
                    observer.OnLive(visit);
                }
            }
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Visit {VisitId}: {ParticipantId} joined on leg {LegId}")]
    private static partial void LogJoined(ILogger logger, string visitId, string participantId, string legId);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Visit {VisitId}: {ParticipantId} is gone (leg {LegId}): {Why}")]
    private static partial void LogLeft(ILogger logger, string visitId, string participantId, string legId, string why);

    [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "Visit {VisitId} is {State}: {Reason}")]
    private static partial void LogFinished(ILogger logger, string visitId, VisitState state, string reason);

    [LoggerMessage(EventId = 303, Level = LogLevel.Information, Message = "Visit {VisitId} is live")]
    private static partial void LogLive(ILogger logger, string visitId);

    [LoggerMessage(EventId = 306, Level = LogLevel.Warning, Message = "Visit {VisitId}: join as {ParticipantId} refused, token {TokenId} from {Address} is not the client that holds it")]
    private static partial void LogTokenInUse(ILogger logger, string visitId, string participantId, string tokenId, string address);
}
