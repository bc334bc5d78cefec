namespace MediaServer.Testing;

// The JSON shapes of docs/api.md, as the tests read them.

public sealed record PersonDto(string Id, string Name);

public sealed record CreateVisitRequest(
    PersonDto Inmate,
    IReadOnlyList<PersonDto> Visitors,
    DateTimeOffset Start,
    DateTimeOffset End,
    bool Privileged = false,
    bool Flagged = false)
{
    /// <summary>A visit for inmate <c>i1</c> and visitors <c>v1..vN</c>.</summary>
    public static CreateVisitRequest For(int visitors, DateTimeOffset start, DateTimeOffset end) =>
        new(
            new PersonDto("i1", "Inmate One"),
            [.. Enumerable.Range(1, visitors).Select(n => new PersonDto($"v{n}", $"Visitor {n}"))],
            start,
            end);
}

public sealed record ConnectionDto(
    string? State,
    long PacketsIn,
    long PacketsOut,
    long BytesIn,
    long BytesOut,
    double? Loss,
    double? Jitter,
    double? BitrateKbps);

public sealed record ParticipantDto(string Id, string Role, string? Name, ConnectionDto? Connection);

public sealed record VisitDto(
    string Id,
    string State,
    PersonDto? Inmate,
    IReadOnlyList<PersonDto>? Visitors,
    DateTimeOffset Start,
    DateTimeOffset End,
    bool Privileged,
    bool Flagged,
    IReadOnlyList<ParticipantDto> Participants,
    IReadOnlyList<FlagDto>? Flags = null)
{
    public ParticipantDto Participant(string id) =>
        Participants.SingleOrDefault(p => p.Id == id)
        ?? throw new InvalidOperationException($"Visit {Id} has no participant {id}: {string.Join(", ", Participants.Select(p => p.Id))}");

    public override string ToString() =>
        $"visit {Id} state={State} " + string.Join("; ", Participants.Select(p =>
            $"{p.Id}({p.Role}) conn={p.Connection?.State} in={p.Connection?.PacketsIn} out={p.Connection?.PacketsOut}"));
}

public sealed record FlagDto(DateTimeOffset At, string By, string Note);

public sealed record ParticipantTokenDto(string Token, DateTimeOffset ValidFrom, DateTimeOffset ValidUntil);

public sealed record ProblemDto(int? Status, string? Title, string? Detail, string? Type);

public sealed record AuditEntryDto(long Seq, DateTimeOffset At, string? Actor, string? Role, string? Action, string? Target, string? Outcome, int Count = 1);

public sealed record AuditVerifyDto(bool Ok, long Entries, long? FirstBadEntry, long Checkpoint = 0, string? Problem = null);

public sealed record JoinResult(string AnswerSdp, string Location);

public sealed record RosterPartyDto(string Name, string Role, string State, bool Sends, bool Receives, bool You, int? Slot = null,
    bool? Microphone = null, bool? Camera = null);

public sealed record RosterDto(string Visit, string State, bool Privileged, IReadOnlyList<RosterPartyDto> Parties, DateTimeOffset Start = default,
    DateTimeOffset End = default, DateTimeOffset Now = default, bool KioskMayMute = true);

public sealed record TimelineQualityDto(double LossPercent, double JitterMs, double? RoundTripMs, double BitrateInKbps, double BitrateOutKbps);

public sealed record TimelineEntryDto(
    long Seq,
    DateTimeOffset At,
    string Kind,
    string? Participant,
    string? Leg,
    string? Detail,
    string? Cause,
    string? By,
    string? Transport,
    IReadOnlyList<string>? Codecs,
    double? Seconds,
    TimelineQualityDto? Quality);

public sealed record TimelinePartyDto(
    string Participant,
    string Name,
    string Role,
    DateTimeOffset? FirstJoinedAt,
    DateTimeOffset? LastLeftAt,
    double MediaSeconds,
    double MediaInSeconds,
    double MediaOutSeconds,
    int Reconnects,
    double ReconnectSeconds,
    bool Reconnecting);

public sealed record TimelineDto(
    string Visit,
    string State,
    bool Privileged,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    double DurationSeconds,
    IReadOnlyList<TimelineEntryDto> Entries,
    IReadOnlyList<TimelinePartyDto> Parties,
    bool Truncated)
{
    /// <summary>The entries of one participant, in order.</summary>
    public IReadOnlyList<TimelineEntryDto> Of(string participant) => [.. Entries.Where(e => e.Participant == participant)];

    public TimelinePartyDto Party(string participant) => Parties.Single(p => p.Participant == participant);
}

public sealed record OwnSummaryDto(string Name, string Role, DateTimeOffset? FirstJoinedAt, DateTimeOffset? LastLeftAt, double MediaSeconds,
    int Reconnects, double ReconnectSeconds, bool Reconnecting);

public sealed record VisitSummaryDto(string Visit, string State, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, double DurationSeconds, OwnSummaryDto You);
