namespace MediaServer.Recording.Manifest;

/// <summary>How the review copy lines a journal up in time, as the renderer found it.</summary>
public sealed record ReviewTimeline(DateTimeOffset Start, DateTimeOffset End, IReadOnlyList<ManifestTrack> Tracks,
    IReadOnlyList<ManifestGap> Gaps);
