using System.Text.Json;
using System.Text.Json.Serialization;
using MediaServer.Visits;

namespace MediaServer.Recording.Manifest;

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
    AuditHead? AuditHead = null)
{
    /// <summary>Version 2 added the recording's segments, the gaps between them and per-track dropped counts.</summary>
    public const string FormatName = "mediaserver-recording-manifest/2";

    /// <summary>Manifests written before segments: one journal, <see cref="Journal"/>; verify still reads them.</summary>
    public const string FormatNameVersion1 = "mediaserver-recording-manifest/1";
    public const string FileName = "manifest.json";
    public const string SignatureFileName = "manifest.sig";
    public const string ReviewCopyFileName = "review.mp4";
    public const string PublicKeyFileName = "public-key.pem";
    public const string JournalTailFileName = "journal.tail";

    /// <summary>
    /// The bytes recovery cut off a journal's torn or damaged end (<see cref="JournalTailFileName"/>, and the tail of any
    /// later journal file: every <c>journal*.tail</c> in the folder), each hashed so that a kept tail can be neither replaced
    /// nor removed unnoticed; empty when nothing was cut.
    /// </summary>
    public IReadOnlyList<ManifestFile> JournalTails { get; init; } = [];

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>
    /// Every journal of the recording in order (segment 1 is <see cref="Journal"/>): a visit that went on after a restart or
    /// a failed recording has a continuation segment for each time it resumed. Null in a version-1 manifest.
    /// </summary>
    public IReadOnlyList<ManifestSegment>? Segments { get; init; }

    /// <summary>What no segment recorded: between the end of one segment and the start of the next.</summary>
    public IReadOnlyList<ManifestSegmentGap>? SegmentGaps { get; init; }

    /// <summary>Packets the recorder dropped over all segments (the sum of the journals' <c>dropped</c> Event records).</summary>
    public long DroppedPackets { get; init; }
}

/// <summary><c>flagged</c> is the schedule's flag or any officer's flag; <c>flags</c> says who flagged, when and why.</summary>
public sealed record ManifestVisit(string Id, Person Inmate, IReadOnlyList<Person> Visitors, DateTimeOffset ScheduledStart,
    DateTimeOffset ScheduledEnd, bool Flagged)
{
    public IReadOnlyList<ManifestBookmark> Flags { get; init; } = [];
}

/// <summary>One sender's stream; <c>alignment</c> is <c>rtcp-sr</c> (sender-report clock) or <c>arrival</c> (no sender reports).</summary>
public sealed record ManifestTrack(int Id, string Participant, string Role, string Kind, string Codec, string Alignment)
{
    /// <summary>
    /// Whether the track's packets were authenticated on arrival (SRTP, RFC 3711 §3.4: WebRTC legs) or not (plain RTP, which
    /// anyone who can reach the port could have sent); null for journals that do not say.
    /// </summary>
    public bool? Authenticated { get; init; }

    /// <summary>This track's packets the recorder dropped (buffer full), from the journals' Event records.</summary>
    public long DroppedPackets { get; init; }
}

/// <summary>
/// One journal file of a recording. <c>state</c> is <c>sealed</c> (its End written by the recorder) or <c>recovered</c>
/// (sealed at the next start after the server died); <c>previousChainHash</c> is the chain hash of the segment before, as
/// this segment's Begin names it (null for segment 1).
/// </summary>
public sealed record ManifestSegment(int Segment, string File, string Sha256, long Bytes, long Records, string ChainHash,
    string? PreviousChainHash, DateTimeOffset? First, DateTimeOffset? Last, string State, string? SealReason, long CutBytes,
    long DroppedPackets)
{
    /// <summary>The torn tail recovery cut from this segment (journal.tail, journal-0002.tail, …), or null when none was cut.</summary>
    public ManifestFile? Tail { get; init; }
}

/// <summary>The span between segment <c>afterSegment</c> and the next that nothing recorded, and why.</summary>
public sealed record ManifestSegmentGap(int AfterSegment, DateTimeOffset From, DateTimeOffset To, double Seconds, string Reason);

public sealed record ManifestJournal(string File, string Sha256, long Bytes, long Records, string ChainHash, bool Recovered,
    long CutBytes, long DroppedPackets);

public sealed record ManifestFile(string File, string Sha256, long Bytes);

public sealed record ManifestGap(int TrackId, string Participant, string Kind, DateTimeOffset From, DateTimeOffset To, double Seconds);

public sealed record ManifestBookmark(DateTimeOffset At, string By, string Note);
