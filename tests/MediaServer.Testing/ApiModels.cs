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

public sealed record RosterPartyDto(string Name, string Role, string State, bool Sends, bool Receives, bool You);

public sealed record RosterDto(string Visit, string State, bool Privileged, IReadOnlyList<RosterPartyDto> Parties);
