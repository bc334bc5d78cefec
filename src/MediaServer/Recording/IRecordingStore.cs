using MediaServer.Visits;

namespace MediaServer.Recording;

/// <summary>
/// The recordings index (Storage implements it in SQLite): one row per recorded visit, its state, legal hold and render attempts,
/// the rows investigators search. A row's folder is always derived from <see cref="Root"/> and its validated visit id.
/// </summary>
public interface IRecordingStore
{
    /// <summary>The recordings root every row's folder is derived from.</summary>
    string Root { get; }

    void Insert(Visit visit, string directory, DateTimeOffset startedAt);

    void SetState(string visitId, RecordingState state, string? error = null, DateTimeOffset? endedAt = null,
        double? durationSeconds = null, bool? recovered = null);

    void RenderAttemptFailed(string visitId, string error, DateTimeOffset nextAttempt);

    /// <summary>An officer flagged the visit: its recording is flagged (the investigators' "flagged only" search finds it).</summary>
    void SetFlagged(string visitId);

    /// <summary>Every officer's flag of the visit (who, when, why), oldest first: the manifest lists them.</summary>
    IReadOnlyList<VisitFlag> FlagsOf(string visitId);

    void SetHold(string visitId, bool hold);

    RecordingRow? Load(string visitId);

    IReadOnlyList<RecordingRow> LoadByState(params RecordingState[] states);

    /// <summary>Search for investigators: every filter optional; newest first.</summary>
    IReadOnlyList<RecordingRow> Search(string? inmate, string? visitor, DateTimeOffset? from, DateTimeOffset? to, bool? flagged,
        int limit = 500);
}
