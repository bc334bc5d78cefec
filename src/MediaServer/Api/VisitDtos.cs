using MediaServer.Visits;

namespace MediaServer.Api;

public sealed record TokenRequest(string? Participant);

public sealed record TokenResponse(string Token, DateTimeOffset ValidFrom, DateTimeOffset ValidUntil);

public sealed record TerminateRequest(string? Reason);

public sealed record FlagRequest(string? Note);

public sealed record ConnectionDto(string State, long PacketsIn, long PacketsOut, long BytesIn, long BytesOut, long Loss, double Jitter, double BitrateKbps);

public sealed record ParticipantDto(string Id, string Role, string Name, ConnectionDto Connection);

public sealed record VisitDto(
    string Id,
    string State,
    Person Inmate,
    IReadOnlyList<Person> Visitors,
    DateTimeOffset Start,
    DateTimeOffset End,
    bool Privileged,
    bool Flagged,
    IReadOnlyList<ParticipantDto> Participants,
    DateTimeOffset CreatedAt,
    DateTimeOffset? EndedAt,
    string? EndReason,
    IReadOnlyList<VisitFlag> Flags)
{
    public static VisitDto From(Visit visit, IReadOnlyList<VisitFlag> flags)
    {
        var participants = new List<ParticipantDto>(visit.Participants.Count);
        foreach (var participant in visit.Participants)
        {
            participants.Add(new ParticipantDto(
                participant.Id,
                participant.Role == PartyRole.Kiosk ? "kiosk" : "visitor",
                participant.Name,
                Connection(visit, participant.Id)));
        }
        return new VisitDto(visit.Id, VisitStates.Name(visit.State), visit.Inmate, visit.Visitors, visit.Start, visit.End,
            visit.Privileged, visit.Flagged, participants, visit.CreatedAt, visit.EndedAt, visit.EndReason, flags);
    }

    private static ConnectionDto Connection(Visit visit, string participantId)
    {
        var leg = visit.LatestLeg(participantId);
        // A finished visit read back from storage has no legs, only the figures stored when it ended.
        var summary = leg is null && visit.FinalConnections?.GetValueOrDefault(participantId) is { } stored ? stored : LegSummary.Of(leg);
        return new ConnectionDto(summary.State, summary.PacketsIn, summary.PacketsOut, summary.BytesIn, summary.BytesOut, summary.Loss,
            summary.Jitter, summary.BitrateKbps);
    }
}

public sealed record DevicesRequest(bool? Microphone, bool? Camera);

/// <summary>
/// One party of the roster: its latest leg's state, what it sends and receives (both false while waiting), the slot of the
/// asker's connection that carries it (the asker's k-th video and audio receivers; null when none does), and its microphone
/// and camera as its own page says (null while it is not connected).
/// </summary>
public sealed record RosterPartyDto(string Name, string Role, string State, bool Sends, bool Receives, bool You, int? Slot, bool? Microphone,
    bool? Camera);

/// <summary>
/// What every party of a visit may see: who is in it, and when it opens and ends (with the server's clock, so a page counts
/// down by it, not by its own). No ids of legs, no taps, no addresses.
/// </summary>
public sealed record RosterDto(string Visit, string State, bool Privileged, DateTimeOffset Start, DateTimeOffset End, DateTimeOffset Now,
    bool KioskMayMute, IReadOnlyList<RosterPartyDto> Parties)
{
    public static RosterDto From(Visit visit, string self, VisitOptions options, DateTimeOffset now)
    {
        var asker = visit.FindParticipant(self);
        var own = visit.LatestLeg(self) is { IsClosed: false } mine ? mine : null;
        var parties = new List<RosterPartyDto>(visit.Participants.Count);
        foreach (var participant in visit.Participants)
        {
            var leg = visit.LatestLeg(participant.Id);
            var open = leg is { IsClosed: false };
            var state = leg is null ? "waiting" : leg.StateName;
            (bool Microphone, bool Camera)? devices = open ? leg!.Devices : null;
            parties.Add(new RosterPartyDto(NameFor(participant, asker, options), participant.Role == PartyRole.Kiosk ? "kiosk" : "visitor", state,
                open && leg!.Sends, open && leg!.Receives, participant.Id == self, own is null ? null : SlotOf(own, participant.Id),
                devices?.Microphone, devices?.Camera));
        }
        return new RosterDto(visit.Id, VisitStates.Name(visit.State), visit.Privileged, visit.Start, visit.End, now, options.KioskMayMute, parties);
    }

    /// <summary>The inmate's name as the facility lets visitors see it; everyone else's as scheduled.</summary>
    private static string NameFor(Participant participant, Participant? asker, VisitOptions options)
    {
        if (participant.Role != PartyRole.Kiosk || asker is not { Role: PartyRole.Visitor })
        {
            return participant.Name;
        }
        return options.InmateNameToVisitors switch
        {
            InmateNameShown.None => "The facility",
            InmateNameShown.First => participant.Name.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries) is [var first, ..] ? first : participant.Name,
            _ => participant.Name,
        };
    }

    /// <summary>The index of <paramref name="leg"/>'s video slot (else audio slot) that carries <paramref name="participant"/>.</summary>
    private static int? SlotOf(Leg leg, string participant)
    {
        for (var i = 0; i < leg.Party.VideoSlots.Count; i++)
        {
            if (leg.Party.VideoSlots[i].AssignedParticipantId == participant)
            {
                return i;
            }
        }
        for (var i = 0; i < leg.Party.AudioSlots.Count; i++)
        {
            if (leg.Party.AudioSlots[i].AssignedParticipantId == participant)
            {
                return i;
            }
        }
        return null;
    }
}

/// <summary>A visit's timeline for staff (docs/api.md, "Timeline"): every entry in order and each party's totals.</summary>
public sealed record TimelineDto(string Visit, string State, bool Privileged, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt,
    double DurationSeconds, IReadOnlyList<Visits.Timeline.TimelineEntry> Entries, IReadOnlyList<Visits.Timeline.PartySummary> Parties, bool Truncated)
{
    public static TimelineDto From(Visit visit, IReadOnlyList<Visits.Timeline.TimelineEntry> entries, Visits.Timeline.TimelineSummary summary)
    {
        var truncated = false;
        foreach (var entry in entries)
        {
            truncated |= entry.Kind == Visits.Timeline.TimelineKinds.Truncated;
        }
        return new TimelineDto(visit.Id, VisitStates.Name(visit.State), visit.Privileged, summary.StartedAt, summary.EndedAt,
            summary.DurationSeconds, entries, summary.Parties, truncated);
    }
}

/// <summary>A party's own totals (<c>you</c>), as the family sees them when the visit ends.</summary>
public sealed record OwnSummaryDto(string Name, string Role, DateTimeOffset? FirstJoinedAt, DateTimeOffset? LastLeftAt, double MediaSeconds,
    int Reconnects, double ReconnectSeconds, bool Reconnecting);

/// <summary>What a participant may know of its visit's timeline: the visit's totals and its own party's, nobody else's.</summary>
public sealed record VisitSummaryDto(string Visit, string State, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, double DurationSeconds,
    OwnSummaryDto You)
{
    public static VisitSummaryDto From(Visit visit, Visits.Timeline.TimelineSummary summary, Visits.Timeline.PartySummary you) =>
        new(visit.Id, VisitStates.Name(visit.State), summary.StartedAt, summary.EndedAt, summary.DurationSeconds,
            new OwnSummaryDto(you.Name, you.Role, you.FirstJoinedAt, you.LastLeftAt, you.MediaSeconds, you.Reconnects, you.ReconnectSeconds, you.Reconnecting));
}
