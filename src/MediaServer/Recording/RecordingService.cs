using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MediaServer.Codecs.Recording;
using MediaServer.Hosting;
using MediaServer.Media;
using MediaServer.Routing;
using MediaServer.Storage;
using MediaServer.Visits;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MediaServer.Recording;

/// <summary>
/// Records every non-privileged visit: opens its journal at the first join, hands each track a <see cref="TrackJournal"/>,
/// runs the one writer thread that drains every recorder, seals journals when visits end, recovers journals left open by a
/// crash, renders review copies in a background queue (one at a time, retried), signs manifests, and purges by retention.
/// </summary>
public sealed partial class RecordingService : IHostedService, IVisitFlagSink, IDisposable
{
    private readonly RecordingOptions _options;
    private readonly RecordingStore _store;
    private readonly AuditLog _audit;
    private readonly RecordingSigner _signer;
    private readonly RecordingMetrics _metrics;
    private readonly IReviewCopyRenderer? _renderer;
    private readonly TimeProvider _time;
    private readonly ILogger<RecordingService> _logger;
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

    public RecordingService(IOptions<MediaServerOptions> options, RecordingStore store, AuditLog audit, RecordingSigner signer,
        RecordingMetrics metrics, TimeProvider time, ILogger<RecordingService> logger, IReviewCopyRenderer? renderer = null)
    {
        _options = options.Value.Recording;
        RootDirectory = Path.GetFullPath(_options.Directory, options.Value.ResolveDataDirectory());
        _store = store;
        _audit = audit;
        _signer = signer;
        _metrics = metrics;
        _renderer = renderer;
        _time = time;
        _logger = logger;
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
    public event Action<string, string>? RecordingStopped;

    private sealed record UnrecordedVisit(string Reason, long AtTicks, bool MidVisit);

    public RecordingSigner Signer => _signer;

    /// <summary>Render progress (0..1) of recordings being rendered now.</summary>
    public double? RenderProgress(string visitId) => _renderProgress.TryGetValue(visitId, out var p) ? p : null;

    public string DirectoryOf(string visitId) =>
        RecordingPaths.FolderOf(RootDirectory, visitId) ?? throw new ArgumentException("The visit id is unfit for a folder name.", nameof(visitId));

    // ---- Visit lifecycle hooks (control path, under the visit's membership lock) ----

    /// <summary>
    /// Before a join is planned (under the visit's membership lock): makes sure the visit's journal is open — the first
    /// segment, or a continuation segment chained to the sealed one when the visit goes on after a restart or a failure.
    /// Returns a 503 refusal when the visit cannot be recorded and the policy is <c>refuse</c> (MediaServer:Recording:OnFailure);
    /// null when the join may go on (recorded, privileged, recording off, or <c>continue-and-alert</c>). A failure is loud
    /// either way: log, metric, audit, recording row.
    /// </summary>
    public JoinRefusal? PrepareJoin(Visit visit)
    {
        if (visit.Privileged || !_options.Enabled)
        {
            return null;
        }
        if (_active.TryGetValue(visit.Id, out var current))
        {
            // Sealing (the server is stopping): no continuation may start on a journal the writer is still closing.
            return current.State == RecorderState.Recording && !current.SealRequested ? null : Unrecorded();
        }
        if (_stop.IsCancellationRequested)
        {
            return Unrecorded(); // shutting down: nothing would write or seal a journal opened now
        }
        var now = Stopwatch.GetTimestamp();
        if (_failing.TryGetValue(visit.Id, out var failing)
            && (Stopwatch.GetElapsedTime(failing.AtTicks, now) < RetryInterval || (failing.MidVisit && _options.RefuseWhenUnrecorded)))
        {
            // Tried a moment ago (or the visit is being ended for it): refused again without touching the disk or the audit
            // chain once per attempt.
            return Unrecorded();
        }
        var (recorder, _) = Start(visit);
        if (recorder is not null)
        {
            if (_failing.TryRemove(visit.Id, out _))
            {
                _metrics.Unrecorded = _failing.Count;
            }
            return null;
        }
        return Unrecorded();
    }

    private JoinRefusal? Unrecorded()
    {
        if (!_options.RefuseWhenUnrecorded)
        {
            return null;
        }
        _metrics.JoinRefused();
        return new JoinRefusal(ProblemTypes.RecordingUnavailable, 503, UnrecordedTitle, UnrecordedDetail);
    }

    /// <summary>The recorder writing the visit's current segment, if any (tests).</summary>
    internal VisitRecorder? ActiveRecorder(string visitId) => _active.GetValueOrDefault(visitId);

    /// <summary>True when the visit is known to be unrecordable now (for tests and the console).</summary>
    public bool IsUnrecorded(string visitId) => _failing.ContainsKey(visitId);

    /// <summary>
    /// A party joined (after <see cref="PrepareJoin"/>): declares the leg's tracks in the visit's open journal and points them
    /// at it. Privileged visits are never recorded, and that is said once in the audit log.
    /// </summary>
    public void OnJoined(Visit visit, Leg leg)
    {
        if (visit.Privileged)
        {
            // Never recorded; said once per visit in the audit log, so the absence of a recording is on record too.
            if (_privilegedNoted.TryAdd(visit.Id, 0))
            {
                _audit.Append("system", "system", "recording.refused", "visit/" + visit.Id, "privileged visit: never recorded");
            }
            return;
        }
        if (!_options.Enabled)
        {
            return;
        }
        var recorder = _active.GetValueOrDefault(visit.Id);
        if (recorder is null || recorder.State != RecorderState.Recording)
        {
            return;
        }
        var party = leg.Party;
        foreach (var track in new[] { party.Video, party.Audio })
        {
            if (track is null)
            {
                continue;
            }
            var payloadTypes = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var pt = 0; pt < 128; pt++)
            {
                var codec = track.CodecOf((byte)pt);
                if (codec != MediaCodec.None)
                {
                    payloadTypes[pt.ToString(CultureInfo.InvariantCulture)] = CodecName(codec);
                }
            }
            var id = recorder.AddTrack(new
            {
                visitId = visit.Id,
                participant = leg.Participant.Id,
                role = leg.Participant.Role == PartyRole.Kiosk ? "kiosk" : "visitor",
                leg = leg.Id,
                kind = track.Kind == MediaKind.Video ? "video" : "audio",
                clockRate = track.Kind == MediaKind.Video ? 90000 : 48000,
                payloadTypes,
                authenticated = leg.Authenticated,
            }, leg.Participant.Id);
            track.Journal = new TrackJournal(recorder, id);
        }
        recorder.Event(new { @event = "joined", participant = leg.Participant.Id, detail = leg.Id });
    }

    public void OnLeft(Visit visit, Leg leg, string why)
    {
        if (_active.TryGetValue(visit.Id, out var recorder))
        {
            recorder.Event(new { @event = "left", participant = leg.Participant.Id, detail = why });
        }
    }

    /// <summary>An officer's flag (<see cref="VisitFlags"/>), kept in the visit's journal as a bookmark.</summary>
    /// The recording is flagged from then on (a recording that does not exist yet takes the flag when it starts).
    public void OnFlag(Visit visit, VisitFlag flag)
    {
        OnBookmark(visit, flag.At, flag.By, flag.Note);
        _store.SetFlagged(visit.Id);
    }

    /// <summary>An officer's flag, kept in the journal as a bookmark.</summary>
    public void OnBookmark(Visit visit, DateTimeOffset at, string by, string note)
    {
        if (_active.TryGetValue(visit.Id, out var recorder))
        {
            recorder.Bookmark(new { at, by, note });
        }
    }

    /// <summary>The visit is over: the writer seals its journal and the render queue takes it.</summary>
    public void OnVisitFinished(Visit visit, string reason)
    {
        if (_failing.TryRemove(visit.Id, out _))
        {
            _metrics.Unrecorded = _failing.Count;
        }
        if (_active.TryGetValue(visit.Id, out var recorder))
        {
            recorder.RequestSeal(reason);
        }
        else if (_store.Load(visit.Id) is { State: RecordingState.Failed } failed)
        {
            // The writer gave up on this journal (disk full); seal what it kept, if the disk lets us now.
            _ = Task.Run(() => SealLeftover(failed, reason, recovered: false));
        }
    }

    /// <summary>The recording state a visit's API view shows, or null when the visit has no recording.</summary>
    public RecordingRow? Find(string visitId) => _store.Load(visitId);

    /// <summary>
    /// Opens the visit's journal: segment 1 when the visit has none; otherwise a continuation segment after the last one, which
    /// is sealed first if it is not (a journal that failed mid-visit). The continuation's Begin names the previous segment's
    /// file, chain hash and SHA-256, and its Gap record the span nobody recorded. Returns the error when the disk refuses.
    /// </summary>
    private (VisitRecorder? Recorder, string? Error) Start(Visit visit)
    {
        if (!IsSafeId(visit.Id))
        {
            LogUnsafeId(_logger, visit.Id);
            return (null, "the visit id is unfit for a folder name");
        }
        lock (_gate)
        {
            if (_active.TryGetValue(visit.Id, out var current) && current.State == RecorderState.Recording && !current.SealRequested)
            {
                return (current, null);
            }
            var existing = _store.Load(visit.Id);
            var directory = DirectoryOf(visit.Id);
            var now = _time.GetUtcNow();
            try
            {
                var segments = JournalSegments.InOrder(directory);
                if (segments.Count >= JournalSegments.MaxSegments)
                {
                    throw new IOException($"the recording already has {JournalSegments.MaxSegments} segments");
                }
                JournalFacts? previous = null;
                var lastTrackId = 0;
                if (segments.Count > 0)
                {
                    var last = segments[^1];
                    var scan = JournalScanner.Scan(last);
                    if (!scan.PreambleValid)
                    {
                        // Nothing to chain to: the recording cannot go on honestly (and is refused under refuse).
                        throw new IOException($"segment {segments.Count} ({Path.GetFileName(last)}) has no valid preamble");
                    }
                    if (!scan.HasEnd || scan.FirstBadOffset is not null)
                    {
                        // The last segment was left open by a failure in this process: sealed now, as recovery would.
                        SealSegmentFile(visit.Id, last, segments.Count, "the recording failed: " + (existing?.Error ?? "unknown error"),
                            recovered: true);
                    }
                    // Track ids only grow from segment to segment, so the newest segment that declared a track holds the
                    // highest; older segments are read only when the newer ones declared none.
                    for (var i = segments.Count - 1; i >= 0 && lastTrackId == 0; i--)
                    {
                        var facts = JournalFacts.Read(segments[i]);
                        previous ??= facts;
                        lastTrackId = facts.MaxTrackId;
                    }
                }
                var segment = segments.Count + 1;
                var recorder = VisitRecorder.Create(visit.Id, directory, _options.BufferBytes, _options.FsyncInterval, segment, lastTrackId);
                if (existing is null)
                {
                    _store.Insert(visit, directory, now);
                }
                else
                {
                    _store.SetState(visit.Id, RecordingState.Recording);
                }
                var resumed = _time.GetUtcNow(); // recording (re)starts with this Begin, once the file is made and synced
                recorder.Begin(new
                {
                    format = 2,
                    visitId = visit.Id,
                    inmate = visit.Inmate,
                    visitors = visit.Visitors,
                    scheduledStart = visit.Start,
                    scheduledEnd = visit.End,
                    flagged = visit.Flagged,
                    startedAt = now,
                    segment,
                    previous = previous is null ? null : new
                    {
                        file = JournalSegments.FileName(segment - 1),
                        chainHash = Convert.ToHexStringLower(previous.Scan.ChainHash),
                        sha256 = previous.Scan.Sha256,
                        records = previous.Scan.Records,
                    },
                }, resumed);
                if (previous is not null)
                {
                    var from = previous.RecordedUntil ?? resumed;
                    var reason = previous.SealReason ?? "the previous segment was sealed";
                    recorder.Gap(new
                    {
                        from,
                        to = resumed,
                        seconds = Math.Max(0, (resumed - from).TotalSeconds),
                        reason,
                        previousFile = JournalSegments.FileName(segment - 1),
                    });
                    _audit.Append("system", "system", "recording.continued", "recording/" + visit.Id,
                        $"segment {segment} after {Math.Max(0, (resumed - from).TotalSeconds):0.0} s unrecorded ({reason})");
                    LogContinued(_logger, visit.Id, segment, Math.Max(0, (resumed - from).TotalSeconds));
                }
                _active[visit.Id] = recorder;
                _metrics.Active = _active.Count;
                LogStarted(_logger, visit.Id, recorder.JournalPath);
                return (recorder, null);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                if (existing is null)
                {
                    _store.Insert(visit, directory, now);
                }
                var message = "the journal could not be created: " + ex.Message;
                ReportFailure(visit.Id, message, ex, midVisit: false);
                return (null, message);
            }
        }
    }

    private void ReportFailure(string visitId, string message, Exception? ex, bool midVisit)
    {
        _failing[visitId] = new UnrecordedVisit(message, Stopwatch.GetTimestamp(), midVisit);
        _metrics.Unrecorded = _failing.Count;
        _metrics.Failure();
        LogFailed(_logger, visitId, message, ex);
        _store.SetState(visitId, RecordingState.Failed, error: message);
        _audit.Append("system", "system", "recording.failed", "recording/" + visitId, message);
    }

    // ---- Writer thread ----

    private void WriterLoop()
    {
        var interval = _options.FlushInterval;
        while (!_stop.IsCancellationRequested)
        {
            WriteAll();
            _stop.Token.WaitHandle.WaitOne(interval);
        }
        // Shutting down: what is buffered goes to disk, and each open journal is sealed (the visits' legs are gone with us).
        foreach (var recorder in _active.Values)
        {
            recorder.RequestSeal("server stopped");
        }
        WriteAll();
    }

    private void WriteAll()
    {
        var now = Stopwatch.GetTimestamp();
        foreach (var recorder in _active.Values)
        {
            var before = recorder.BytesWritten;
            var droppedBefore = recorder.DroppedPackets;
            var changed = recorder.WriteOnce(now);
            _metrics.AddBytes(recorder.BytesWritten - before);
            if (recorder.DroppedPackets != droppedBefore)
            {
                _metrics.Dropped(recorder.DroppedPackets - droppedBefore);
                LogDropped(_logger, recorder.VisitId, recorder.DroppedPackets - droppedBefore);
            }
            if (!changed)
            {
                continue;
            }
            string? stopped = null;
            lock (_gate)
            {
                _active.TryRemove(recorder.VisitId, out _);
                _metrics.Active = _active.Count;
                try
                {
                    if (recorder.State == RecorderState.Sealed)
                    {
                        OnSealed(recorder.VisitId, recorder.Directory, recovered: false);
                    }
                    else
                    {
                        stopped = "writing the journal failed: " + recorder.Failure?.Message;
                        ReportFailure(recorder.VisitId, stopped, recorder.Failure, midVisit: true);
                    }
                }
                catch (Exception ex) when (ex is IOException or Microsoft.Data.Sqlite.SqliteException)
                {
                    LogFailed(_logger, recorder.VisitId, "after sealing: " + ex.Message, ex);
                }
                finally
                {
                    recorder.Dispose();
                }
            }
            if (stopped is not null && _options.RefuseWhenUnrecorded && !recorder.SealRequested && RecordingStopped is { } handler)
            {
                // Fail closed: a visit whose recording broke does not go on unrecorded. Ended off this thread and off every
                // lock (ending takes the visit's membership lock, under which joins call into this service).
                var visitId = recorder.VisitId;
                _ = Task.Run(() => handler(visitId, stopped));
            }
        }
    }

    /// <summary>The last segment is sealed: the row records the whole recording's span, and the render queue takes it.</summary>
    private void OnSealed(string visitId, string directory, bool recovered)
    {
        var segments = JournalSegments.InOrder(directory);
        var first = JournalFacts.Read(segments[0]);
        var last = segments.Count == 1 ? first : JournalFacts.Read(segments[^1]);
        var start = first.FirstMedia ?? first.LastRecord;
        var end = last.EndAt ?? last.LastRecord;
        double? duration = start is { } s && end is { } e ? Math.Max(0, (e - s).TotalSeconds) : null;
        // "recovered" stays true once any segment was recovered (a later segment sealed in time does not clear it).
        _store.SetState(visitId, RecordingState.Sealed, endedAt: end, durationSeconds: duration, recovered: recovered ? true : null);
        LogSealed(_logger, visitId, last.Scan.Records, last.Scan.FileLength);
        _renderSignal.Release();
    }

    // ---- Recovery ----

    /// <summary>
    /// Seals the last segment of a recording the writer did not finish: cuts a torn or damaged tail into its tail file (kept,
    /// not destroyed) and appends an End record that says so. Returns false when the disk still refuses.
    /// </summary>
    private bool SealLeftover(RecordingRow row, string reason, bool recovered)
    {
        lock (_gate)
        {
            if (_active.ContainsKey(row.VisitId))
            {
                return true; // A continuation is being written: nothing is left over.
            }
            var segments = JournalSegments.InOrder(row.Directory);
            try
            {
                if (segments.Count == 0)
                {
                    _store.SetState(row.VisitId, RecordingState.Failed, error: "no journal was written");
                    return false;
                }
                var journal = segments[^1];
                var scan = JournalScanner.Scan(journal);
                if (!scan.PreambleValid)
                {
                    _store.SetState(row.VisitId, RecordingState.Failed, error: "the journal has no valid preamble");
                    return false;
                }
                if (scan.HasEnd && scan.FirstBadOffset is null)
                {
                    OnSealed(row.VisitId, row.Directory, recovered);
                    return true;
                }
                var cut = SealSegmentFile(row.VisitId, journal, segments.Count, reason, recovered);
                if (recovered)
                {
                    _audit.Append("system", "system", "recording.recovered", "recording/" + row.VisitId,
                        $"sealed after a crash; {scan.Records} records kept, {cut} bytes of torn tail moved to "
                        + JournalSegments.TailFileName(segments.Count));
                }
                OnSealed(row.VisitId, row.Directory, recovered);
                return true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogFailed(_logger, row.VisitId, "sealing the journal failed: " + ex.Message, ex);
                return false;
            }
        }
    }

    /// <summary>
    /// Appends an End record to a segment nobody is writing, after moving a torn or damaged tail into the segment's tail file.
    /// Returns the bytes cut. Throws IOException when the disk refuses.
    /// </summary>
    private long SealSegmentFile(string visitId, string journal, int segment, string reason, bool recovered)
    {
        var scan = JournalScanner.Scan(journal);
        long cut = 0;
        using (var stream = new FileStream(journal, FileMode.Open, FileAccess.ReadWrite, FileShare.Read))
        {
            if (scan.FirstBadOffset is { } bad)
            {
                cut = stream.Length - bad;
                var tailPath = Path.Combine(Path.GetDirectoryName(journal)!, JournalSegments.TailFileName(segment));
                using (var tail = new FileStream(tailPath, RecordingPaths.NewFile()))
                {
                    stream.Position = bad;
                    stream.CopyTo(tail);
                    tail.Flush(flushToDisk: true);
                }
                stream.SetLength(bad);
            }
            stream.Position = stream.Length;
            var endJson = JsonSerializer.SerializeToUtf8Bytes(new { reason, recovered, cutBytes = cut });
            var record = new byte[JournalFormat.RecordOverhead + JournalFormat.TimePrefixLength + endJson.Length];
            var payload = JournalFormat.PayloadArea(record);
            // Monotonic time is unknown here (the recorder that owned the clock origin is gone): written as -1.
            JournalFormat.WriteTimePrefix(payload, -1, _time.GetUtcNow().ToUnixTimeMilliseconds() * 1000);
            endJson.CopyTo(payload[JournalFormat.TimePrefixLength..]);
            JournalFormat.CompleteRecord(record, JournalRecordType.End, JournalFormat.TimePrefixLength + endJson.Length);
            stream.Write(record);
            stream.Flush(flushToDisk: true);
        }
        LogRecovered(_logger, visitId, scan.Records, cut);
        return cut;
    }

    // ---- Rendering ----

    private async Task RenderLoop()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await _renderSignal.WaitAsync(TimeSpan.FromSeconds(15), token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            foreach (var row in _store.LoadByState(RecordingState.Sealed))
            {
                if (token.IsCancellationRequested)
                {
                    return;
                }
                if (row.NextRenderAt is { } next && next > _time.GetUtcNow())
                {
                    continue;
                }
                await RenderOne(row, token).ConfigureAwait(false);
            }
        }
    }

    private async Task RenderOne(RecordingRow row, CancellationToken token)
    {
        var journal = Path.Combine(row.Directory, VisitRecorder.JournalFileName);
        var output = Path.Combine(row.Directory, RecordingManifest.ReviewCopyFileName);
        // The renderer reads every segment (journal.msj and its continuations); a continuation that starts while it works
        // makes its result stale, and the recording is rendered again once the new segment is sealed.
        var segmentsBefore = JournalSegments.InOrder(row.Directory).Count;
        if (_renderer is null)
        {
            lock (_gate)
            {
                if (!Superseded(row, segmentsBefore))
                {
                    WriteManifest(row, journal, null, null, "no renderer is configured");
                    _store.SetState(row.VisitId, RecordingState.RenderFailed, error: "no renderer is configured");
                }
            }
            return;
        }
        _renderProgress[row.VisitId] = 0;
        var started = Stopwatch.GetTimestamp();
        try
        {
            var progress = new Progress<double>(p => _renderProgress[row.VisitId] = p);
            var timeline = await _renderer.RenderAsync(journal, output, row.VisitId, progress, token).ConfigureAwait(false);
            lock (_gate)
            {
                if (Superseded(row, segmentsBefore))
                {
                    return;
                }
                WriteManifest(row, journal, timeline, output, null);
                _store.SetState(row.VisitId, RecordingState.Rendered, endedAt: timeline.End,
                    durationSeconds: (timeline.End - timeline.Start).TotalSeconds);
            }
            _metrics.RenderSucceeded();
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            LogRendered(_logger, row.VisitId, seconds);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Shutting down: the row stays sealed and is rendered at the next start.
        }
        catch (Exception ex)
        {
            _metrics.RenderFailed();
            var attempts = row.RenderAttempts + 1;
            var message = $"render attempt {attempts} of {_options.RenderAttempts} failed: {ex.Message}";
            LogRenderFailed(_logger, row.VisitId, message, ex);
            if (attempts >= _options.RenderAttempts)
            {
                ReviewTimeline? timeline = null;
                try
                {
                    timeline = _renderer.Analyze(journal);
                }
                catch (Exception analyzeError) when (analyzeError is not OutOfMemoryException)
                {
                    LogRenderFailed(_logger, row.VisitId, "analysis failed too: " + analyzeError.Message, analyzeError);
                }
                lock (_gate)
                {
                    _store.RenderAttemptFailed(row.VisitId, message, _time.GetUtcNow());
                    if (!Superseded(row, segmentsBefore))
                    {
                        WriteManifest(row, journal, timeline, null, message);
                        _store.SetState(row.VisitId, RecordingState.RenderFailed, error: message);
                        _audit.Append("system", "system", "recording.render_failed", "recording/" + row.VisitId, message);
                    }
                }
            }
            else
            {
                var delay = _options.RenderRetryDelay * Math.Pow(2, attempts - 1);
                _store.RenderAttemptFailed(row.VisitId, message, _time.GetUtcNow() + delay);
            }
        }
        finally
        {
            _renderProgress.TryRemove(row.VisitId, out _);
        }
    }

    /// <summary>
    /// Held <see cref="_gate"/>: true when the recording moved on while it was rendered (a continuation segment started, or
    /// was sealed): the result is dropped, and when the recording is sealed again the queue is woken to render it whole.
    /// </summary>
    private bool Superseded(RecordingRow row, int segmentsBefore)
    {
        if (_active.ContainsKey(row.VisitId))
        {
            return true;
        }
        if (JournalSegments.InOrder(row.Directory).Count == segmentsBefore)
        {
            return false;
        }
        _renderSignal.Release();
        return true;
    }

    /// <summary>Builds, signs and writes manifest.json, manifest.sig and public-key.pem beside the journal.</summary>
    internal RecordingManifest WriteManifest(RecordingRow row, string journal, ReviewTimeline? timeline, string? reviewCopy, string? error)
    {
        var paths = JournalSegments.Of(journal);
        var all = new List<JournalFacts>(paths.Count);
        foreach (var path in paths)
        {
            all.Add(JournalFacts.Read(path));
        }
        var facts = all[0];
        var lastFacts = all[^1];
        var begin = facts.Begin;
        var officerFlags = new List<ManifestBookmark>();
        foreach (var flag in _store.FlagsOf(row.VisitId))
        {
            officerFlags.Add(new ManifestBookmark(flag.At, flag.By, flag.Note));
        }
        var visit = new ManifestVisit(row.VisitId, row.Inmate, row.Visitors,
            begin?.TryGetProperty("scheduledStart", out var ss) == true && ss.TryGetDateTimeOffset(out var s) ? s : row.StartedAt,
            begin?.TryGetProperty("scheduledEnd", out var se) == true && se.TryGetDateTimeOffset(out var e) ? e : row.StartedAt,
            row.Flagged || officerFlags.Count > 0)
        {
            Flags = officerFlags,
        };
        DateTimeOffset? firstMedia = null;
        foreach (var f in all)
        {
            firstMedia ??= f.FirstMedia;
        }
        var start = timeline?.Start ?? firstMedia ?? row.StartedAt;
        var end = timeline?.End ?? lastFacts.EndAt ?? lastFacts.LastRecord ?? start;

        // Segments, the gaps between them, and the dropped counts: all read from the journals themselves.
        var segments = new List<ManifestSegment>(all.Count);
        var segmentGaps = new List<ManifestSegmentGap>();
        var droppedByTrack = new Dictionary<int, long>();
        var bookmarks = new List<ManifestBookmark>();
        long droppedTotal = 0;
        for (var i = 0; i < all.Count; i++)
        {
            var f = all[i];
            var previousHash = f.Previous is { } p && p.TryGetProperty("chainHash", out var h) ? h.GetString() : null;
            segments.Add(new ManifestSegment(i + 1, Path.GetFileName(paths[i]), f.Scan.Sha256, f.Scan.FileLength, f.Scan.Records,
                Convert.ToHexStringLower(f.Scan.ChainHash), previousHash, f.FirstRecord, f.RecordedUntil,
                f.Recovered ? "recovered" : "sealed", f.SealReason, f.CutBytes, f.DroppedPackets)
            {
                Tail = TailOf(Path.GetDirectoryName(paths[i])!, i + 1),
            });
            if (i > 0)
            {
                segmentGaps.Add(GapBefore(i, all[i - 1], f));
            }
            foreach (var (track, count) in f.DroppedByTrack)
            {
                droppedByTrack[track] = droppedByTrack.GetValueOrDefault(track) + count;
            }
            droppedTotal += f.DroppedPackets;
            bookmarks.AddRange(f.Bookmarks);
        }
        var tracks = new List<ManifestTrack>();
        foreach (var track in WithAuthentication(timeline?.Tracks ?? TracksOf(all), all))
        {
            tracks.Add(track with { DroppedPackets = droppedByTrack.GetValueOrDefault(track.Id) });
        }
        var journalInfo = new ManifestJournal(VisitRecorder.JournalFileName, facts.Scan.Sha256, facts.Scan.FileLength, facts.Scan.Records,
            Convert.ToHexStringLower(facts.Scan.ChainHash), facts.Recovered, facts.CutBytes, facts.DroppedPackets);
        ManifestFile? media = null;
        if (reviewCopy is not null && File.Exists(reviewCopy))
        {
            media = new ManifestFile(RecordingManifest.ReviewCopyFileName, JournalScanner.Sha256OfFile(reviewCopy),
                new FileInfo(reviewCopy).Length);
        }
        var manifest = new RecordingManifest(RecordingManifest.FormatName, visit, start, end, Math.Max(0, (end - start).TotalSeconds),
            tracks, journalInfo, media, error, timeline?.Gaps ?? [], bookmarks, _time.GetUtcNow(), _signer.KeyId, AuditHead: _audit.CurrentHead())
        {
            JournalTails = TailsOf(row.Directory),
            Segments = segments,
            SegmentGaps = segmentGaps,
            DroppedPackets = droppedTotal,
        };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(manifest, RecordingManifest.Json);
        var signature = _signer.Sign(bytes);
        WriteAtomically(Path.Combine(row.Directory, RecordingManifest.FileName), bytes);
        WriteAtomically(Path.Combine(row.Directory, RecordingManifest.SignatureFileName), signature);
        WriteAtomically(Path.Combine(row.Directory, RecordingManifest.PublicKeyFileName), System.Text.Encoding.ASCII.GetBytes(_signer.PublicKeyPem));
        return manifest;
    }

    /// <summary>Every journal*.tail (what recovery cut off), hashed for the manifest, by name.</summary>
    private static List<ManifestFile> TailsOf(string folder) => RecordingVerifier.TailsIn(folder);

    /// <summary>Each track as its journal Track record declared it: authenticated (SRTP) or not; null when the record does not say.</summary>
    private static List<ManifestTrack> WithAuthentication(IReadOnlyList<ManifestTrack> tracks, List<JournalFacts> segments)
    {
        var result = new List<ManifestTrack>(tracks.Count);
        foreach (var track in tracks)
        {
            bool? authenticated = null;
            foreach (var (id, description) in segments.SelectMany(f => f.Tracks))
            {
                if (id == track.Id && description.TryGetProperty("authenticated", out var a) && a.ValueKind is JsonValueKind.True or JsonValueKind.False)
                {
                    authenticated = a.GetBoolean();
                }
            }
            result.Add(track with { Authenticated = authenticated });
        }
        return result;
    }

    private static ManifestFile? TailOf(string folder, int segment)
    {
        var path = Path.Combine(folder, JournalSegments.TailFileName(segment));
        return File.Exists(path)
            ? new ManifestFile(JournalSegments.TailFileName(segment), JournalScanner.Sha256OfFile(path), new FileInfo(path).Length)
            : null;
    }

    /// <summary>The gap before segment <paramref name="index"/> (0-based), as its Gap record declares it.</summary>
    private static ManifestSegmentGap GapBefore(int index, JournalFacts previous, JournalFacts segment)
    {
        var from = previous.RecordedUntil ?? previous.LastRecord ?? DateTimeOffset.UnixEpoch;
        var to = segment.FirstRecord ?? from;
        var reason = previous.SealReason ?? "";
        if (segment.Gap is { ValueKind: JsonValueKind.Object } gap)
        {
            if (gap.TryGetProperty("from", out var f) && f.TryGetDateTimeOffset(out var declaredFrom))
            {
                from = declaredFrom;
            }
            if (gap.TryGetProperty("to", out var t) && t.TryGetDateTimeOffset(out var declaredTo))
            {
                to = declaredTo;
            }
            if (gap.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String)
            {
                reason = r.GetString() ?? reason;
            }
        }
        return new ManifestSegmentGap(index, from, to, Math.Max(0, (to - from).TotalSeconds), reason);
    }

    private static List<ManifestTrack> TracksOf(List<JournalFacts> segments)
    {
        var tracks = new List<ManifestTrack>();
        foreach (var (id, description) in segments.SelectMany(f => f.Tracks))
        {
            string Get(string name) => description.TryGetProperty(name, out var v) ? v.ToString() : "";
            string codec = "";
            if (description.TryGetProperty("payloadTypes", out var map))
            {
                foreach (var entry in map.EnumerateObject())
                {
                    codec = entry.Value.GetString() ?? "";
                    break;
                }
            }
            tracks.Add(new ManifestTrack(id, Get("participant"), Get("role"), Get("kind"), codec, "unanalysed"));
        }
        return tracks;
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, RecordingPaths.NewFile()))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    // ---- Retention ----

    private async Task RetentionLoop()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                PurgeExpired();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
            {
                LogRetentionFailed(_logger, ex.Message, ex);
            }
            try
            {
                await Task.Delay(_options.RetentionCheckInterval, _time, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Deletes recordings older than the retention period that are not held; each purge is audited.</summary>
    public int PurgeExpired()
    {
        var cutoff = _time.GetUtcNow() - _options.Retention;
        var purged = 0;
        foreach (var row in _store.LoadByState(RecordingState.Rendered, RecordingState.RenderFailed, RecordingState.Failed))
        {
            var ended = row.EndedAt ?? row.StartedAt;
            if (row.Hold || ended > cutoff || _active.ContainsKey(row.VisitId))
            {
                continue;
            }
            // The folder is {root}/{id}, derived here from a validated id, never a path the database holds.
            if (RecordingPaths.FolderOf(RootDirectory, row.VisitId) is not { } folder)
            {
                continue;
            }
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
            _store.SetState(row.VisitId, RecordingState.Purged);
            _audit.Append("system", "system", "recording.purge", "recording/" + row.VisitId,
                $"retention {_options.Retention.TotalDays:0.###} days; visit ended {ended:O}");
            _metrics.PurgedOne();
            purged++;
        }
        return purged;
    }

    // ---- Hosting ----

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
        _retentionWorker = Task.Run(RetentionLoop, CancellationToken.None);
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

    private static bool IsSafeId(string id)
    {
        if (id.Length is 0 or > 64)
        {
            return false;
        }
        foreach (var ch in id)
        {
            if (!(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_'))
            {
                return false;
            }
        }
        return true;
    }

    internal static string CodecName(MediaCodec codec) => codec switch
    {
        MediaCodec.Vp8 => "VP8",
        MediaCodec.H264 => "H264",
        MediaCodec.Opus => "opus",
        _ => codec.ToString(),
    };

    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "Recording visit {VisitId} into {Path}")]
    private static partial void LogStarted(ILogger logger, string visitId, string path);

    [LoggerMessage(EventId = 501, Level = LogLevel.Error, Message = "Recording of visit {VisitId} failed: {Message}")]
    private static partial void LogFailed(ILogger logger, string visitId, string message, Exception? exception);

    [LoggerMessage(EventId = 502, Level = LogLevel.Information, Message = "Recording of visit {VisitId} sealed: {Records} records, {Bytes} bytes")]
    private static partial void LogSealed(ILogger logger, string visitId, long records, long bytes);

    [LoggerMessage(EventId = 503, Level = LogLevel.Warning, Message = "Recording of visit {VisitId} recovered: {Records} records kept, {Cut} bytes of torn tail cut")]
    private static partial void LogRecovered(ILogger logger, string visitId, long records, long cut);

    [LoggerMessage(EventId = 504, Level = LogLevel.Information, Message = "Review copy of visit {VisitId} rendered in {Seconds:0.0} s")]
    private static partial void LogRendered(ILogger logger, string visitId, double seconds);

    [LoggerMessage(EventId = 505, Level = LogLevel.Error, Message = "Rendering visit {VisitId}: {Message}")]
    private static partial void LogRenderFailed(ILogger logger, string visitId, string message, Exception? exception);

    [LoggerMessage(EventId = 506, Level = LogLevel.Warning, Message = "Recording of visit {VisitId} dropped {Count} packets: the journal buffer was full")]
    private static partial void LogDropped(ILogger logger, string visitId, long count);

    [LoggerMessage(EventId = 507, Level = LogLevel.Warning, Message = "Visit {VisitId} has an id unfit for a folder name; not recorded")]
    private static partial void LogUnsafeId(ILogger logger, string visitId);

    [LoggerMessage(EventId = 510, Level = LogLevel.Warning, Message = "Recording of visit {VisitId} continues in segment {Segment} after {Seconds:0.0} s unrecorded")]
    private static partial void LogContinued(ILogger logger, string visitId, int segment, double seconds);

    [LoggerMessage(EventId = 509, Level = LogLevel.Error, Message = "Retention job failed: {Message}")]
    private static partial void LogRetentionFailed(ILogger logger, string message, Exception exception);

    [LoggerMessage(EventId = 519, Level = LogLevel.Information, Message = "Recording manifests are signed with key {KeyId} (SHA-256 of its SubjectPublicKeyInfo; pin it with verify --key-id)")]
    private static partial void LogSigningKey(ILogger logger, string keyId);
}
