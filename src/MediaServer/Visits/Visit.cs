using System.Text.Json.Serialization;
using MediaServer.Routing;

namespace MediaServer.Visits;

[JsonConverter(typeof(JsonStringEnumConverter<VisitState>))]
public enum VisitState
{
    [JsonStringEnumMemberName("scheduled")] Scheduled,
    [JsonStringEnumMemberName("live")] Live,
    [JsonStringEnumMemberName("ended")] Ended,
    [JsonStringEnumMemberName("terminated")] Terminated,
}

[JsonConverter(typeof(JsonStringEnumConverter<PartyRole>))]
public enum PartyRole
{
    [JsonStringEnumMemberName("kiosk")] Kiosk,
    [JsonStringEnumMemberName("visitor")] Visitor,
}

public sealed record Person(string Id, string Name);

/// <summary>A party of a visit: the inmate at the kiosk, or one remote visitor.</summary>
public sealed record Participant(string Id, string Name, PartyRole Role);

/// <summary>
/// One scheduled visit and its lifecycle: scheduled → live (first media; back to scheduled if every party leaves before the
/// start) → ended (scheduled end, or every party gone after the start for the empty grace) or
/// terminated (by an officer). State changes go through <see cref="TryTransition"/> under the visit's lock; the packet path
/// only reads <see cref="State"/>.
/// </summary>
public sealed class Visit
{
    private readonly Lock _lock = new();
    private volatile VisitState _state;

    public Visit(string id, Person inmate, IReadOnlyList<Person> visitors, DateTimeOffset start, DateTimeOffset end,
        bool privileged, bool flagged, DateTimeOffset createdAt, VisitState state = VisitState.Scheduled)
    {
        Id = id;
        Inmate = inmate;
        Visitors = visitors;
        Start = start;
        End = end;
        Privileged = privileged;
        Flagged = flagged;
        CreatedAt = createdAt;
        _state = state;
        var participants = new List<Participant>(visitors.Count + 1) { new(inmate.Id, inmate.Name, PartyRole.Kiosk) };
        foreach (var visitor in visitors)
        {
            participants.Add(new Participant(visitor.Id, visitor.Name, PartyRole.Visitor));
        }
        Participants = participants;
        Router = new VisitRouter(id);
    }

    public string Id { get; }
    public Person Inmate { get; }
    public IReadOnlyList<Person> Visitors { get; }
    public DateTimeOffset Start { get; }
    public DateTimeOffset End { get; }
    public bool Privileged { get; }
    public bool Flagged { get; }
    public DateTimeOffset CreatedAt { get; }
    public IReadOnlyList<Participant> Participants { get; }
    public VisitState State => _state;
    public DateTimeOffset? EndedAt { get; private set; }
    public string? EndReason { get; private set; }

    /// <summary>Forwarding state: who sends what to whom. Exists for every visit; empty until a party joins.</summary>
    public VisitRouter Router { get; }

    /// <summary>Serialises joins, leaves and endings of this visit (control path only; never held while sending).</summary>
    public Lock MembershipLock { get; } = new();

    /// <summary>Since when a live visit has had no party (every one left after the start); null while anyone is in it. Under <see cref="MembershipLock"/>.</summary>
    public DateTimeOffset? EmptySince { get; internal set; }

    public bool IsFinal => _state is VisitState.Ended or VisitState.Terminated;

    public Participant? FindParticipant(string id)
    {
        foreach (var participant in Participants)
        {
            if (participant.Id == id)
            {
                return participant;
            }
        }
        return null;
    }

    /// <summary>Moves to <paramref name="next"/> if the lifecycle allows it; returns false (and changes nothing) otherwise.</summary>
    public bool TryTransition(VisitState next, DateTimeOffset at, string? reason = null)
    {
        lock (_lock)
        {
            var allowed = (_state, next) switch
            {
                (VisitState.Scheduled, VisitState.Live) => true,
                // Every party left the waiting room before the start (the lifecycle checks the time): scheduled again.
                (VisitState.Live, VisitState.Scheduled) => true,
                (VisitState.Scheduled or VisitState.Live, VisitState.Ended) => true,
                (VisitState.Scheduled or VisitState.Live, VisitState.Terminated) => true,
                _ => false,
            };
            if (!allowed)
            {
                return false;
            }
            _state = next;
            if (next is VisitState.Ended or VisitState.Terminated)
            {
                EndedAt = at;
                EndReason = reason;
            }
            return true;
        }
    }

    private readonly Dictionary<string, Leg> _latestLegs = new(StringComparer.Ordinal);

    /// <summary>Records a new leg of a participant; returns the leg it replaces (still open) so the caller can close it.</summary>
    public Leg? AddLeg(Leg leg)
    {
        lock (_lock)
        {
            _latestLegs.TryGetValue(leg.Participant.Id, out var previous);
            _latestLegs[leg.Participant.Id] = leg;
            return previous is { IsClosed: false } ? previous : null;
        }
    }

    public Leg? FindLeg(string legId)
    {
        lock (_lock)
        {
            foreach (var leg in _latestLegs.Values)
            {
                if (leg.Id == legId)
                {
                    return leg;
                }
            }
            return null;
        }
    }

    /// <summary>The participant's most recent leg, open or closed (null if it never joined).</summary>
    public Leg? LatestLeg(string participantId)
    {
        lock (_lock)
        {
            return _latestLegs.GetValueOrDefault(participantId);
        }
    }

    public IReadOnlyList<Leg> OpenLegs()
    {
        lock (_lock)
        {
            var open = new List<Leg>();
            foreach (var leg in _latestLegs.Values)
            {
                if (!leg.IsClosed)
                {
                    open.Add(leg);
                }
            }
            return open;
        }
    }

    private readonly Dictionary<string, Tap> _taps = new(StringComparer.Ordinal);

    /// <summary>Records an open tap (kept apart from the legs: a tap is never a participant).</summary>
    public void AddTap(Tap tap)
    {
        lock (_lock)
        {
            _taps[tap.Id] = tap;
        }
    }

    /// <summary>Forgets a closed tap.</summary>
    public void RemoveTap(Tap tap)
    {
        lock (_lock)
        {
            _taps.Remove(tap.Id);
        }
    }

    public Tap? FindTap(string tapId)
    {
        lock (_lock)
        {
            return _taps.GetValueOrDefault(tapId);
        }
    }

    public IReadOnlyList<Tap> OpenTaps()
    {
        lock (_lock)
        {
            var open = new List<Tap>(_taps.Count);
            foreach (var tap in _taps.Values)
            {
                if (!tap.IsClosed)
                {
                    open.Add(tap);
                }
            }
            return open;
        }
    }

    /// <summary>For a finished visit loaded from storage: each participant's connection as it was when the visit ended.</summary>
    public IReadOnlyDictionary<string, LegSummary>? FinalConnections { get; internal set; }

    /// <summary>Each participant's latest leg, summarised (participants who never joined are left out).</summary>
    public Dictionary<string, LegSummary> SummarizeLegs()
    {
        lock (_lock)
        {
            var summaries = new Dictionary<string, LegSummary>(_latestLegs.Count, StringComparer.Ordinal);
            foreach (var (participant, leg) in _latestLegs)
            {
                summaries[participant] = LegSummary.Of(leg);
            }
            return summaries;
        }
    }

    /// <summary>Restores the final fields of a visit loaded from storage.</summary>
    internal void RestoreEnding(DateTimeOffset? endedAt, string? reason)
    {
        EndedAt = endedAt;
        EndReason = reason;
    }
}
