using System.Collections.Concurrent;
using MediaServer.Recording.Journal;
using MediaServer.Recording.Manifest;
using MediaServer.Recording.Retention;
using MediaServer.Recording.Review;
using MediaServer.Visits;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MediaServer.Recording;

/// <summary>
/// Records every non-privileged visit: opens its journal at the first join, hands each track a <see cref="TrackJournal"/>,
/// runs the one writer thread that drains every recorder, seals journals when visits end, recovers journals left open by a
/// crash, renders review copies in a background queue (one at a time, retried), signs manifests, and purges by retention.
/// One job a file: the visits' hooks (RecordingService.Visits.cs), starting a journal (.Start), the writer thread (.Writer),
/// recovery (.Recovery), the render queue (.Render); the manifest is <see cref="ManifestWriter"/>, retention <see cref="RetentionJob"/>.
/// </summary>
public sealed partial class RecordingService : IHostedService, IVisitObserver, IJoinGate, IDisposable
{
    private readonly RecordingOptions _options;
    private readonly IRecordingStore _store;
    private readonly IAuditLog _audit;
    private readonly RecordingSigner _signer;
    private readonly RecordingMetrics _metrics;
    private readonly IReviewCopyRenderer? _renderer;
    private readonly TimeProvider _time;
    private readonly ILogger<RecordingService> _logger;
    private readonly ManifestWriter _manifests;
    private readonly RetentionJob _retention;
    private readonly ConcurrentDictionary<string, VisitRecorder> _active = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, double> _renderProgress = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _privilegedNoted = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, UnrecordedVisit> _failing = new(StringComparer.Ordinal);
    // Serialises the moves of a recording between recorders, segments and states: starting (or continuing) a journal, the
    // writer's handling of a sealed or failed one, and the render worker's finishing of a review copy. Never held while
    // packets flow, never held while taking a visit's membership lock.
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _renderSignal = new(0);
    private Thread? _writer;
    private Task? _renderWorker;
    private Task? _retentionWorker;

    public RecordingService(IOptions<RecordingOptions> options, IRecordingStore store, IAuditLog audit, RecordingSigner signer,
        RecordingMetrics metrics, TimeProvider time, ILogger<RecordingService> logger, IReviewCopyRenderer? renderer = null)
    {
        _options = options.Value;
        RootDirectory = _options.RootDirectory;
        _store = store;
        _audit = audit;
        _signer = signer;
        _metrics = metrics;
        _renderer = renderer;
        _time = time;
        _logger = logger;
        _manifests = new ManifestWriter(store, signer, audit, time);
        _retention = new RetentionJob(_options, store, audit, metrics, time, logger, visitId => _active.ContainsKey(visitId));
    }

    public string RootDirectory { get; }

    /// <summary>How long a visit whose journal could not be created is refused before the next join tries again.</summary>
    internal static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);

    public const string UnrecordedTitle = "Recording unavailable";

    /// <summary>The refusal's detail: plain, and without the failure's own text (paths, errors), which goes to the audit log.</summary>
    public const string UnrecordedDetail =
        "This visit cannot be recorded, so it cannot take place now. The facility has been alerted; please try again later.";

    /// <summary>
    /// The recording of a visit under way failed and the policy is <c>refuse</c>: raised on the thread pool, outside every lock,
    /// with the visit id and the reason, so that the visit is ended (<see cref="VisitLifecycle"/>).
    /// </summary>
    event Action<string, string>? IJoinGate.VisitMustEnd
    {
        add => _visitMustEnd += value;
        remove => _visitMustEnd -= value;
    }

    private Action<string, string>? _visitMustEnd;

    private sealed record UnrecordedVisit(string Reason, long AtTicks, bool MidVisit);

    public RecordingSigner Signer => _signer;

    /// <summary>Render progress (0..1) of recordings being rendered now.</summary>
    public double? RenderProgress(string visitId) => _renderProgress.TryGetValue(visitId, out var p) ? p : null;

    /// <summary>The recording state a visit's API view shows, or null when the visit has no recording.</summary>
    public RecordingRow? Find(string visitId) => _store.Load(visitId);

    /// <summary>True when the visit is known to be unrecordable now (for tests and the console).</summary>
    public bool IsUnrecorded(string visitId) => _failing.ContainsKey(visitId);

    /// <summary>The recorder writing the visit's current segment, if any (tests).</summary>
    internal VisitRecorder? ActiveRecorder(string visitId) => _active.GetValueOrDefault(visitId);

    /// <summary>Builds, signs and writes the recording's manifest (<see cref="ManifestWriter"/>; tests).</summary>
    internal RecordingManifest WriteManifest(RecordingRow row, string journal, ReviewTimeline? timeline, string? reviewCopy, string? error) =>
        _manifests.Write(row, journal, timeline, reviewCopy, error);

    public string DirectoryOf(string visitId) =>
        RecordingPaths.FolderOf(RootDirectory, visitId) ?? throw new ArgumentException("The visit id is unfit for a folder name.", nameof(visitId));

    public Task StartAsync(CancellationToken cancellationToken)
    {
        RecordingPaths.CreateFolder(RootDirectory);
        LogSigningKey(_logger, _signer.KeyId);
        foreach (var row in _store.LoadByState(RecordingState.Recording))
        {
            SealLeftover(row, "recovered after the server stopped unexpectedly", recovered: true);
        }
        _writer = new Thread(WriterLoop) { IsBackground = true, Name = "journal-writer" };
        _writer.Start();
        _renderWorker = Task.Run(RenderLoop, CancellationToken.None);
        _retentionWorker = Task.Run(() => _retention.RunAsync(_stop.Token), CancellationToken.None);
        _renderSignal.Release();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _writer?.Join(TimeSpan.FromSeconds(10));
        foreach (var task in new[] { _renderWorker, _retentionWorker })
        {
            if (task is not null)
            {
                await task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public void Dispose()
    {
        _stop.Dispose();
        _renderSignal.Dispose();
    }

    [LoggerMessage(EventId = 501, Level = LogLevel.Error, Message = "Recording of visit {VisitId} failed: {Message}")]
    private static partial void LogFailed(ILogger logger, string visitId, string message, Exception? exception);

    [LoggerMessage(EventId = 519, Level = LogLevel.Information, Message = "Recording manifests are signed with key {KeyId} (SHA-256 of its SubjectPublicKeyInfo; pin it with verify --key-id)")]
    private static partial void LogSigningKey(ILogger logger, string keyId);
}
