using System.Net;
using MediaServer.Hosting;
using MediaServer.Recording;
using MediaServer.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MediaServer.Visits;

/// <summary>A join's result: the leg and its answer (plain RTP: the m-lines to write; WebRTC: the SDP text), or a refusal.</summary>
public sealed record JoinOutcome(Leg? Leg, IReadOnlyList<AnsweredMedia>? Answer, string? AnswerSdp, JoinRefusal? Refusal);

/// <summary>
/// Moves visits through their lifecycle and opens and closes their legs: joins (inside the scheduled window only), leaves,
/// terminate, the scheduled end, and "every party gone". Each visit's membership changes are serialised by its own lock.
/// </summary>
public sealed partial class VisitLifecycle
{
    private readonly VisitRegistry _registry;
    private readonly PlainRtpJoin _joiner;
    private readonly WebRtcJoin _webRtcJoiner;
    private readonly AuditLog _audit;
    private readonly TimeProvider _time;
    private readonly AuthOptions _auth;
    private readonly ILogger<VisitLifecycle> _logger;
    private readonly RecordingService _recordings;

    public VisitLifecycle(VisitRegistry registry, PlainRtpJoin joiner, WebRtcJoin webRtcJoiner, AuditLog audit, TimeProvider time,
        IOptions<MediaServerOptions> options, RecordingService recordings, ILogger<VisitLifecycle> logger)
    {
        _recordings = recordings;
        _registry = registry;
        _joiner = joiner;
        _audit = audit;
        _time = time;
        _auth = options.Value.Auth;
        _logger = logger;
        _webRtcJoiner = webRtcJoiner;
        _joiner.FirstMedia += OnFirstMedia;
        _webRtcJoiner.FirstMedia += OnFirstMedia;
        _webRtcJoiner.TransportFailed += OnTransportFailed;
    }

    public JoinOutcome Join(Visit visit, Participant participant, MediaOffer offer, IPAddress clientAddress)
    {
        lock (visit.MembershipLock)
        {
            var now = _time.GetUtcNow();
            if (visit.IsFinal || now >= visit.End)
            {
                return new JoinOutcome(null, null, null, new JoinRefusal(410, "Visit is over",
                    visit.State == VisitState.Terminated ? "The facility ended this visit." : "This visit has ended."));
            }
            if (now < visit.Start - _auth.JoinGrace)
            {
                return new JoinOutcome(null, null, null, new JoinRefusal(403, "Too early",
                    $"This visit opens at {(visit.Start - _auth.JoinGrace):O}."));
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
            var replaced = visit.AddLeg(leg);
            replaced?.Close(LegState.Closed, now);
            visit.Router.Attach(leg.Party);
            // Before the sockets start: the journal must have the tracks before their first packet.
            _recordings.OnJoined(visit, leg);
            leg.Start();
            LogJoined(_logger, visit.Id, participant.Id, leg.Id);
            return new JoinOutcome(leg, answer, answerSdp, null);
        }
    }

    /// <summary>The participant left: closes its leg; the visit ends when it was live and nobody is left.</summary>
    public void Leave(Visit visit, Leg leg) => Depart(visit, leg, LegState.Left, "left");

    private void OnTransportFailed(Visit visit, Leg leg, string reason)
    {
        Depart(visit, leg, LegState.Closed, reason);
        _audit.Append("system", "system", "visit.leg.lost", $"visit/{visit.Id}/legs/{leg.Id}", reason);
    }

    private void Depart(Visit visit, Leg leg, LegState state, string why)
    {
        lock (visit.MembershipLock)
        {
            var now = _time.GetUtcNow();
            if (!leg.Close(state, now))
            {
                return;
            }
            var left = visit.Router.Detach(leg.Party);
            LogLeft(_logger, visit.Id, leg.Participant.Id, leg.Id, why);
            _recordings.OnLeft(visit, leg, why);
            if (left == 0 && visit.State == VisitState.Live && visit.TryTransition(VisitState.Ended, now, "every party left"))
            {
                _registry.SaveState(visit);
                _recordings.OnVisitFinished(visit, "every party left");
                _audit.Append("system", "system", "visit.end", "visit/" + visit.Id, "every party left");
            }
        }
    }

    /// <summary>An officer ended the visit: every leg is closed before this returns.</summary>
    public bool Terminate(Visit visit, string reason) => Finish(visit, VisitState.Terminated, reason);

    /// <summary>Ends every visit whose scheduled end has passed (run by <see cref="VisitScheduleService"/>).</summary>
    public void EndDueVisits()
    {
        var now = _time.GetUtcNow();
        foreach (var visit in _registry.InMemory)
        {
            if (!visit.IsFinal && now >= visit.End && Finish(visit, VisitState.Ended, "scheduled end"))
            {
                _audit.Append("system", "system", "visit.end", "visit/" + visit.Id, "scheduled end");
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
        }
    }

    private bool Finish(Visit visit, VisitState state, string reason)
    {
        lock (visit.MembershipLock)
        {
            var now = _time.GetUtcNow();
            if (!visit.TryTransition(state, now, reason))
            {
                return false;
            }
            visit.Router.DetachAll();
            foreach (var leg in visit.OpenLegs())
            {
                leg.Close(LegState.Closed, now);
            }
            _registry.SaveState(visit);
            _recordings.OnVisitFinished(visit, state == VisitState.Terminated ? "terminated: " + reason : reason);
            LogFinished(_logger, visit.Id, state, reason);
            return true;
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
}
