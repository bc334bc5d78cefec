using System.ComponentModel.DataAnnotations;
using MediaServer.Auth;
using MediaServer.Routing;
using MediaServer.Transport;
using MediaServer.Transport.WebRtc;

namespace MediaServer.Hosting;

/// <summary>The "MediaServer" configuration section (config/appsettings.json, overridable as MediaServer__Section__Key).</summary>
public sealed class MediaServerOptions
{
    public const string SectionName = "MediaServer";

    /// <summary>Holds the SQLite database and the recordings. Relative paths resolve against the working directory.</summary>
    [Required]
    public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// Holds every key (token, manifest, DTLS and audit keys) and the audit checkpoints, apart from the data so that a copy of the
    /// data directory holds no key. Empty: a sibling of the data directory named "{DataDirectory}-keys". Must not lie inside the
    /// data directory.
    /// </summary>
    public string KeyDirectory { get; set; } = "";

    public RtpOptions Rtp { get; set; } = new();

    public AuthOptions Auth { get; set; } = new();

    public WebRtcOptions WebRtc { get; set; } = new();

    public VisitOptions Visits { get; set; } = new();

    public RecordingOptions Recording { get; set; } = new();

    public RelayOptions Relay { get; set; } = new();

    public LimitOptions Limits { get; set; } = new();

    public AuditOptions Audit { get; set; } = new();

    public string ResolveDataDirectory() => Path.GetFullPath(DataDirectory, Directory.GetCurrentDirectory());

    public string ResolveKeyDirectory() => string.IsNullOrWhiteSpace(KeyDirectory)
        ? Path.TrimEndingDirectorySeparator(ResolveDataDirectory()) + "-keys"
        : Path.GetFullPath(KeyDirectory, Directory.GetCurrentDirectory());

    /// <summary>True when the key directory is the data directory or lies inside it (refused at start).</summary>
    public bool KeyDirectoryInsideData()
    {
        var data = Path.TrimEndingDirectorySeparator(ResolveDataDirectory()) + Path.DirectorySeparatorChar;
        var keys = Path.TrimEndingDirectorySeparator(ResolveKeyDirectory()) + Path.DirectorySeparatorChar;
        return keys.StartsWith(data, StringComparison.Ordinal);
    }
}

public sealed class AuditOptions
{
    /// <summary>A signed checkpoint (sequence, head) is written to the key directory and the log after this many entries, and at shutdown.</summary>
    [Range(1, 1_000_000)]
    public int CheckpointEvery { get; set; } = 100;

    /// <summary>Identical refusals (same actor, role, action, target, outcome) within this window become one entry with a count; 0 turns it off.</summary>
    public TimeSpan CoalesceWindow { get; set; } = TimeSpan.FromSeconds(10);
}

public sealed class VisitOptions
{
    [Range(1, 4)]
    public int MaxVisitors { get; set; } = 4;

    /// <summary>How often the lifecycle service checks scheduled ends.</summary>
    public TimeSpan LifecycleTick { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// On a privileged visit, a leg from which no media has arrived for this long (never since it joined, or not any more) is
    /// closed: a party that only listens is refused at the join, and one that offers to send but does not is closed here.
    /// </summary>
    public TimeSpan PrivilegedSilenceLimit { get; set; } = TimeSpan.FromSeconds(10);
}

public sealed class RecordingOptions
{
    /// <summary>Record every non-privileged visit (privileged visits are never recorded, whatever this says).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Where recordings go; relative paths resolve against the data directory.</summary>
    public string Directory { get; set; } = "recordings";

    /// <summary>How often the writer thread writes what relay threads buffered.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest time between fsyncs of a journal that has new data (the bound is one second).</summary>
    public TimeSpan FsyncInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>In-memory buffer per visit between relay and writer; packets beyond it are dropped from the recording and counted.</summary>
    [Range(4 * 1024, 1 << 30)]
    public int BufferBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Attempts at rendering a review copy before the recording is marked render_failed.</summary>
    [Range(1, 20)]
    public int RenderAttempts { get; set; } = 3;

    /// <summary>Wait before the first retry of a failed render; doubles with each attempt.</summary>
    public TimeSpan RenderRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The ffmpeg binary the renderer runs.</summary>
    public string FfmpegPath { get; set; } = "ffmpeg";

    /// <summary>FFmpeg's threads per decoder, filter graph and encoder: a render takes at most about this many cores.</summary>
    [Range(1, 64)]
    public int RenderThreads { get; set; } = 2;

    /// <summary>FFmpeg is stopped (the attempt fails) after this many times the visit's media length ...</summary>
    [Range(1.0, 100.0)]
    public double RenderTimeLimitFactor { get; set; } = 2.0;

    /// <summary>... or after this long, whichever is later.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RenderTimeLimitMinimum { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// What happens when a non-privileged visit cannot be recorded (the journal cannot be created or written): <c>refuse</c>
    /// (the default) refuses its joins with 503 and ends it if it was under way; <c>continue-and-alert</c> lets it go on
    /// unrecorded, with the failure logged, audited and counted.
    /// </summary>
    public string OnFailure { get; set; } = RecordingFailurePolicy.Refuse;

    public bool RefuseWhenUnrecorded => string.Equals(OnFailure, RecordingFailurePolicy.Refuse, StringComparison.Ordinal);

    /// <summary>Recordings whose visit ended longer ago than this are purged, unless under legal hold.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(365);

    /// <summary>How often the retention job runs.</summary>
    public TimeSpan RetentionCheckInterval { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>
/// Bounds on what one client, officer or visit may take (MediaServer:Limits): schedule windows, taps, event streams, and the
/// rate of participant requests and token minting. Exceeding one is answered with a 4xx problem+json, never by queueing.
/// </summary>
public sealed class LimitOptions
{
    /// <summary>Longest scheduled visit (end − start).</summary>
    public TimeSpan MaxVisitDuration { get; set; } = TimeSpan.FromHours(8);

    /// <summary>How far ahead a visit may be scheduled.</summary>
    public TimeSpan MaxScheduleAhead { get; set; } = TimeSpan.FromDays(366);

    /// <summary>Open taps on one visit (409 beyond).</summary>
    [Range(1, 64)]
    public int MaxTapsPerVisit { get; set; } = 4;

    /// <summary>Open taps of one officer across every visit (429 beyond).</summary>
    [Range(1, 256)]
    public int MaxTapsPerOfficer { get; set; } = 4;

    /// <summary>Concurrent <c>/api/officer/events</c> streams of one principal (429 beyond).</summary>
    [Range(1, 64)]
    public int MaxEventStreamsPerPrincipal { get; set; } = 4;

    /// <summary>Joins and leaves one participant token may make per <see cref="ParticipantWindow"/> (429 beyond).</summary>
    [Range(1, 10000)]
    public int ParticipantRequests { get; set; } = 10;

    public TimeSpan ParticipantWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Participant tokens one principal may mint per <see cref="TokenWindow"/> (429 beyond).</summary>
    [Range(1, 10000)]
    public int TokenRequests { get; set; } = 30;

    public TimeSpan TokenWindow { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>The values of <see cref="RecordingOptions.OnFailure"/>.</summary>
public static class RecordingFailurePolicy
{
    public static bool IsValid(string? value) => value is Refuse or ContinueAndAlert;

    public const string Refuse = "refuse";
    public const string ContinueAndAlert = "continue-and-alert";
}
