using System.Text.Json.Serialization;
using MediaServer.Visits;

namespace MediaServer.Recording;

[JsonConverter(typeof(JsonStringEnumConverter<RecordingState>))]
public enum RecordingState
{
    /// <summary>The journal is being written.</summary>
    [JsonStringEnumMemberName("recording")] Recording,
    /// <summary>The journal has its End record; the review copy is being (or waiting to be) rendered.</summary>
    [JsonStringEnumMemberName("sealed")] Sealed,
    /// <summary>Review copy and signed manifest exist.</summary>
    [JsonStringEnumMemberName("rendered")] Rendered,
    /// <summary>Writing the journal failed (disk full, I/O error); what was written before is kept and sealed when possible.</summary>
    [JsonStringEnumMemberName("failed")] Failed,
    /// <summary>Rendering failed every retry; journal and a manifest without a review copy exist.</summary>
    [JsonStringEnumMemberName("render_failed")] RenderFailed,
    /// <summary>Removed by retention; the row stays so the purge itself is on record.</summary>
    [JsonStringEnumMemberName("purged")] Purged,
}

/// <param name="Directory">{recordings root}/{VisitId}, derived from the root and the validated id (the table's directory column
/// is informational and never used as a path).</param>
public sealed record RecordingRow(
    string VisitId,
    RecordingState State,
    string Directory,
    Person Inmate,
    IReadOnlyList<Person> Visitors,
    bool Flagged,
    DateTimeOffset StartedAt,
    DateTimeOffset? EndedAt,
    double? DurationSeconds,
    bool Hold,
    string? Error,
    int RenderAttempts,
    DateTimeOffset? NextRenderAt,
    bool Recovered);

/// <summary>The names of <see cref="RecordingState"/> as the API and the database write them.</summary>
public static class RecordingStates
{
    public static string Name(RecordingState state) => state switch
    {
        RecordingState.Recording => "recording",
        RecordingState.Sealed => "sealed",
        RecordingState.Rendered => "rendered",
        RecordingState.Failed => "failed",
        RecordingState.RenderFailed => "render_failed",
        RecordingState.Purged => "purged",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    public static RecordingState Parse(string name) => name switch
    {
        "recording" => RecordingState.Recording,
        "sealed" => RecordingState.Sealed,
        "rendered" => RecordingState.Rendered,
        "failed" => RecordingState.Failed,
        "render_failed" => RecordingState.RenderFailed,
        "purged" => RecordingState.Purged,
        _ => throw new InvalidDataException($"Unknown recording state '{name}' in the database."),
    };
}
