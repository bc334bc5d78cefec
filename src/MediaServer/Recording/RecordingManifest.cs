using System.Text.Json;
using System.Text.Json.Serialization;
using MediaServer.Visits;

namespace MediaServer.Recording;

/// <summary>The signed summary of a recording (docs/recording-manifest.md).</summary>
public sealed record RecordingManifest(
    string Format,
    ManifestVisit Visit,
    DateTimeOffset Start,
    DateTimeOffset End,
    double DurationSeconds,
    IReadOnlyList<ManifestTrack> Tracks,
    ManifestJournal Journal,
    ManifestFile? ReviewCopy,
    string? ReviewCopyError,
    IReadOnlyList<ManifestGap> Gaps,
    IReadOnlyList<ManifestBookmark> Bookmarks,
    DateTimeOffset SignedAt,
    string KeyId,
    MediaServer.Storage.AuditHead? AuditHead = null)
{
    public const string FormatName = "mediaserver-recording-manifest/1";
    public const string FileName = "manifest.json";
    public const string SignatureFileName = "manifest.sig";
    public const string ReviewCopyFileName = "review.mp4";
    public const string PublicKeyFileName = "public-key.pem";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}

public sealed record ManifestVisit(string Id, Person Inmate, IReadOnlyList<Person> Visitors, DateTimeOffset ScheduledStart,
    DateTimeOffset ScheduledEnd, bool Flagged);

/// <summary>One sender's stream; <c>alignment</c> is <c>rtcp-sr</c> (sender-report clock) or <c>arrival</c> (no sender reports).</summary>
public sealed record ManifestTrack(int Id, string Participant, string Role, string Kind, string Codec, string Alignment);

public sealed record ManifestJournal(string File, string Sha256, long Bytes, long Records, string ChainHash, bool Recovered,
    long CutBytes, long DroppedPackets);

public sealed record ManifestFile(string File, string Sha256, long Bytes);

public sealed record ManifestGap(int TrackId, string Participant, string Kind, DateTimeOffset From, DateTimeOffset To, double Seconds);

public sealed record ManifestBookmark(DateTimeOffset At, string By, string Note);
