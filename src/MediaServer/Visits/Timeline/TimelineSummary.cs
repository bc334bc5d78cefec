namespace MediaServer.Visits.Timeline;

/// <summary>
/// One party's totals (docs/api.md, "Timeline"): the seconds it had media in each direction and both ways, how often its
/// connection dropped (each <c>reconnecting</c>) and for how long in all (each <c>reconnected</c>'s seconds; a drop it never
/// came back from counts until it left, the visit ended, or now).
/// </summary>
public sealed record PartySummary(string Participant, string Name, string Role, DateTimeOffset? FirstJoinedAt, DateTimeOffset? LastLeftAt,
    double MediaSeconds, double MediaInSeconds, double MediaOutSeconds, int Reconnects, double ReconnectSeconds, bool Reconnecting);

/// <summary>What a timeline adds up to for each party, and for the visit (from its first join to its end, or now).</summary>
public sealed record TimelineSummary(DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, double DurationSeconds, IReadOnlyList<PartySummary> Parties)
{
    /// <summary>Folds the entries (in order) and the media seconds into totals; <paramref name="now"/> closes what is still open.</summary>
    public static TimelineSummary Of(Visit visit, IReadOnlyList<TimelineEntry> entries, IReadOnlyList<PartyMediaSeconds> media, DateTimeOffset now)
    {
        DateTimeOffset? started = null;
        DateTimeOffset? ended = null;
        var folds = new Dictionary<string, Fold>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (entry.Kind == TimelineKinds.Ended)
            {
                ended = entry.At;
            }
            if (entry.Participant is not { } participant)
            {
                continue;
            }
            if (!folds.TryGetValue(participant, out var fold))
            {
                folds[participant] = fold = new Fold();
            }
            switch (entry.Kind)
            {
                case TimelineKinds.Joined:
                    started ??= entry.At;
                    fold.FirstJoined ??= entry.At;
                    fold.LeftAt = null;
                    break;
                case TimelineKinds.Reconnecting when fold.AwaySince is null:
                    fold.Reconnects++;
                    fold.AwaySince = entry.At;
                    break;
                case TimelineKinds.Reconnected:
                    // A return told without its drop (a caller that knows both only at the end) is one drop too.
                    fold.Reconnects += fold.AwaySince is null ? 1 : 0;
                    fold.ReconnectSeconds += entry.Seconds ?? 0;
                    fold.AwaySince = null;
                    break;
                case TimelineKinds.Left:
                    fold.LeftAt = entry.At;
                    fold.CloseAway(entry.At);
                    break;
            }
        }
        var closeAt = ended ?? visit.EndedAt ?? now;
        var parties = new List<PartySummary>(visit.Participants.Count);
        foreach (var participant in visit.Participants)
        {
            var fold = folds.GetValueOrDefault(participant.Id) ?? new Fold();
            var reconnecting = fold.AwaySince is not null && ended is null && !visit.IsFinal;
            fold.CloseAway(closeAt);
            PartyMediaSeconds? seconds = null;
            foreach (var row in media)
            {
                if (row.Participant == participant.Id)
                {
                    seconds = row;
                }
            }
            parties.Add(new PartySummary(participant.Id, participant.Name, participant.Role == PartyRole.Kiosk ? "kiosk" : "visitor",
                fold.FirstJoined, fold.LeftAt, Round(seconds?.BothSeconds), Round(seconds?.InSeconds), Round(seconds?.OutSeconds),
                fold.Reconnects, Round(fold.ReconnectSeconds), reconnecting));
        }
        var duration = started is { } from ? Math.Max(0, (closeAt - from).TotalSeconds) : 0;
        return new TimelineSummary(started, ended ?? visit.EndedAt, Round(duration), parties);
    }

    private static double Round(double? seconds) => Math.Round(seconds ?? 0, 1);

    private sealed class Fold
    {
        public DateTimeOffset? FirstJoined;
        public DateTimeOffset? LeftAt;
        public DateTimeOffset? AwaySince;
        public int Reconnects;
        public double ReconnectSeconds;

        /// <summary>A drop the party never came back from lasts until <paramref name="at"/>.</summary>
        public void CloseAway(DateTimeOffset at)
        {
            if (AwaySince is { } since)
            {
                ReconnectSeconds += Math.Max(0, (at - since).TotalSeconds);
                AwaySince = null;
            }
        }
    }
}
