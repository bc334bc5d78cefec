using System.ComponentModel.DataAnnotations;

namespace MediaServer.Recording;

public sealed class RecordingOptions
{
    /// <summary>Record every non-privileged visit (privileged visits are never recorded, whatever this says).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Where recordings go; relative paths resolve against the data directory.</summary>
    public string Directory { get; set; } = "recordings";

    /// <summary>The server's data directory (MediaServer:DataDirectory, resolved), set by Hosting when it registers these options.</summary>
    public string DataDirectory { get; internal set; } = "";

    /// <summary>The server's key directory (MediaServer:KeyDirectory, resolved), set by Hosting: the manifest signing key lives there.</summary>
    public string KeyDirectory { get; internal set; } = "";

    /// <summary>The recordings root: <see cref="Directory"/> resolved against <see cref="DataDirectory"/>.</summary>
    public string RootDirectory => Path.GetFullPath(Directory,
        DataDirectory.Length > 0 ? DataDirectory : System.IO.Directory.GetCurrentDirectory());

    /// <summary>These options with the server's root directories filled in (Hosting, at registration).</summary>
    public RecordingOptions WithRoots(string dataDirectory, string keyDirectory)
    {
        DataDirectory = dataDirectory;
        KeyDirectory = keyDirectory;
        return this;
    }

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

    /// <summary>
    /// Below this much free space on the recordings disk, <c>/readyz</c> says the disk is full and the server not ready: a
    /// visit recorded now could not be kept (the journal would fail mid-visit).
    /// </summary>
    [Range(1L, long.MaxValue)]
    public long ReadyMinFreeBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Recordings whose visit ended longer ago than this are purged, unless under legal hold.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(365);

    /// <summary>How often the retention job runs.</summary>
    public TimeSpan RetentionCheckInterval { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>The values of <see cref="RecordingOptions.OnFailure"/>.</summary>
public static class RecordingFailurePolicy
{
    public static bool IsValid(string? value) => value is Refuse or ContinueAndAlert;

    public const string Refuse = "refuse";
    public const string ContinueAndAlert = "continue-and-alert";
}
