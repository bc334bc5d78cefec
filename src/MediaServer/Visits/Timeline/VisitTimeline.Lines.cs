namespace MediaServer.Visits.Timeline;

/// <summary>What the timeline keeps in memory of each visit under way, and how its entries are capped, stored and observed.</summary>
public sealed partial class VisitTimeline
{
    private Line LineOf(Visit visit) => _lines.GetOrAdd(visit.Id, _ => Load(visit.Id));

    /// <summary>A visit's state as its stored entries leave it (a restart, or the first touch of a new visit).</summary>
    private Line Load(string visitId)
    {
        var line = new Line();
        IReadOnlyList<TimelineEntry> entries;
        IReadOnlyList<PartyMediaSeconds> media;
        try
        {
            entries = store.Entries(visitId);
            media = store.Media(visitId);
        }
        catch (Exception e)
        {
            LogStoreFailed(logger, e, visitId);
            return line;
        }
        foreach (var entry in entries)
        {
            line.Seq = Math.Max(line.Seq, entry.Seq);
            line.Truncated |= entry.Kind == TimelineKinds.Truncated;
            if (entry.Kind == TimelineKinds.Quality)
            {
                line.QualitySamples++;
            }
            else
            {
                line.OtherEntries++;
            }
            if (entry.Participant is not { } participant)
            {
                continue;
            }
            var party = line.PartyOf(participant);
            switch (entry.Kind)
            {
                case TimelineKinds.Joined:
                    party.Present = true;
                    break;
                case TimelineKinds.Left:
                    party.Present = false;
                    party.Away = null;
                    break;
                case TimelineKinds.Reconnecting when party.Away is null:
                    party.Away = new Away(CauseNamed(entry.Cause), entry.At, entry.Leg);
                    break;
                case TimelineKinds.Reconnected:
                    party.Away = null;
                    break;
            }
        }
        foreach (var row in media)
        {
            var party = line.PartyOf(row.Participant);
            party.Media.Restore(row.InSeconds, row.OutSeconds, row.BothSeconds);
            party.SavedAt = row.UpdatedAt;
        }
        return line;
    }

    private static ReconnectCause CauseNamed(string? name)
    {
        foreach (var cause in Enum.GetValues<ReconnectCause>())
        {
            if (TimelineKinds.Name(cause) == name)
            {
                return cause;
            }
        }
        return ReconnectCause.ServerRestart;
    }

    /// <summary>Held gate: numbers, caps, stores and hands on one entry (the <c>scheduled</c> entry first for a new visit).</summary>
    private void Append(Line line, Visit visit, TimelineEntry entry)
    {
        if (line.Seq == 0 && entry.Kind != TimelineKinds.Scheduled)
        {
            Append(line, visit, ScheduledEntry(visit) with { Seq = 0 });
        }
        if (line.Truncated)
        {
            return;
        }
        if (entry.Kind == TimelineKinds.Quality)
        {
            if (line.QualitySamples >= MaxQualitySamples)
            {
                return; // samples are the bulk; the events that matter keep their own room
            }
            line.QualitySamples++;
        }
        else if (line.OtherEntries >= MaxEntries - MaxQualitySamples - 1)
        {
            line.Truncated = true;
            LogTruncated(logger, visit.Id, MaxEntries);
            entry = new TimelineEntry(0, entry.At, TimelineKinds.Truncated, null, null,
                $"the timeline holds at most {MaxEntries} entries ({MaxQualitySamples} quality samples); later ones are not kept");
        }
        else
        {
            line.OtherEntries++;
        }
        entry = entry with { Seq = ++line.Seq };
        try
        {
            store.Append(visit.Id, entry);
        }
        catch (Exception e)
        {
            // A failing database must not fail a join or a leave; the journal still gets the entry.
            LogStoreFailed(logger, e, visit.Id);
        }
        foreach (var observer in _observers)
        {
            try
            {
                observer.OnTimeline(visit, entry);
            }
            catch (Exception e)
            {
                LogObserverFailed(logger, e, visit.Id, observer.GetType().Name);
            }
        }
    }

    /// <summary>Held gate: saves every party's media seconds.</summary>
    private void SaveAll(Visit visit, Line line, DateTimeOffset now)
    {
        foreach (var (participant, party) in line.Parties)
        {
            SaveMedia(visit, participant, party, now);
        }
    }

    private void SaveMedia(Visit visit, string participant, Party party, DateTimeOffset now)
    {
        party.SavedAt = now;
        try
        {
            store.SaveMedia(visit.Id, new PartyMediaSeconds(participant, party.Media.InSeconds, party.Media.OutSeconds, party.Media.BothSeconds, now));
        }
        catch (Exception e)
        {
            LogStoreFailed(logger, e, visit.Id);
        }
    }

    /// <summary>A party away since <see cref="Since"/> (its last media) for <see cref="Cause"/>, from leg <see cref="LegId"/>.</summary>
    private sealed record Away(ReconnectCause Cause, DateTimeOffset Since, string? LegId);

    private sealed class Line
    {
        public readonly Lock Gate = new();
        public readonly Dictionary<string, Party> Parties = new(StringComparer.Ordinal);
        public long Seq;
        public int QualitySamples;
        public int OtherEntries;
        public bool Truncated;

        public Party PartyOf(string participant)
        {
            if (!Parties.TryGetValue(participant, out var party))
            {
                Parties[participant] = party = new Party();
            }
            return party;
        }
    }

    private sealed class Party
    {
        public readonly MediaSeconds Media = new();
        public bool Present;
        public Away? Away;
        public DateTimeOffset? LastMediaAt;
        public DateTimeOffset? SavedAt;
        public string? MediaInLeg;
        public string? MediaOutLeg;

        // The quality sample's interval: where it started and the counters then.
        public string? QualityLeg;
        public DateTimeOffset QualityFrom;
        public long QualityBytesIn;
        public long QualityBytesOut;
        public long QualityExpected;
        public long QualityReceived;
    }
}
