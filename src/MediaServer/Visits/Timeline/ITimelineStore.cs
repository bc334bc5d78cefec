namespace MediaServer.Visits.Timeline;

/// <summary>The seconds a party had media, as <see cref="VisitTimeline"/> last saved them.</summary>
public sealed record PartyMediaSeconds(string Participant, double InSeconds, double OutSeconds, double BothSeconds, DateTimeOffset UpdatedAt);

/// <summary>
/// Where visit timelines are kept (SQLite: Storage/TimelineStore.cs). Entries are appended in order and never changed; the
/// media seconds of each party are one row, saved over.
/// </summary>
public interface ITimelineStore
{
    void Append(string visitId, TimelineEntry entry);

    /// <summary>The visit's entries in order (at most <see cref="VisitTimeline.MaxEntries"/> + 1 are ever stored).</summary>
    IReadOnlyList<TimelineEntry> Entries(string visitId);

    void SaveMedia(string visitId, PartyMediaSeconds media);

    IReadOnlyList<PartyMediaSeconds> Media(string visitId);
}
