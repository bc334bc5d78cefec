using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MediaServer.Codecs.Recording;
using MediaServer.Hosting;
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

    public RecordingSigner Signer => _signer;

    /// <summary>Render progress (0..1) of recordings being rendered now.</summary>
    public double? RenderProgress(string visitId) => _renderProgress.TryGetValue(visitId, out var p) ? p : null;

    public string DirectoryOf(string visitId) => Path.Combine(RootDirectory, visitId);

    // ---- Visit lifecycle hooks (control path, under the visit's membership lock) ----

    /// <summary>
    /// A party joined: makes sure the visit's journal is open (not for privileged visits, never), declares the leg's tracks
    /// and points them at it. A recording that cannot start is loud (log, metric, audit, recording row) and never stops the join.
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
        var recorder = _active.GetValueOrDefault(visit.Id) ?? Start(visit);
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
                participant = leg.Participant.Id,
                role = leg.Participant.Role == PartyRole.Kiosk ? "kiosk" : "visitor",
                leg = leg.Id,
                kind = track.Kind == MediaKind.Video ? "video" : "audio",
                clockRate = track.Kind == MediaKind.Video ? 90000 : 48000,
                payloadTypes,
            });
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
    public void OnFlag(Visit visit, VisitFlag flag) => OnBookmark(visit, flag.At, flag.By, flag.Note);

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

    private VisitRecorder? Start(Visit visit)
    {
        if (!IsSafeId(visit.Id))
        {
            LogUnsafeId(_logger, visit.Id);
            return null;
        }
        var existing = _store.Load(visit.Id);
        if (existing is not null && existing.State != RecordingState.Failed)
        {
            // Sealed before (the server restarted while the visit was live): this journal is closed evidence; not reopened.
            LogAlreadySealed(_logger, visit.Id);
            return null;
        }
        var directory = DirectoryOf(visit.Id);
        var now = _time.GetUtcNow();
        try
        {
            if (existing is not null)
            {
                return null; // Failed at its start before; OnVisitFinished reports it, a second journal would hide that.
            }
            var recorder = VisitRecorder.Create(visit.Id, directory, _options.BufferBytes, _options.FsyncInterval);
            _store.Insert(visit, directory, now);
            recorder.Begin(new
            {
                format = 1,
                visitId = visit.Id,
                inmate = visit.Inmate,
                visitors = visit.Visitors,
                scheduledStart = visit.Start,
                scheduledEnd = visit.End,
                flagged = visit.Flagged,
                startedAt = now,
            });
            _active[visit.Id] = recorder;
            _metrics.Active = _active.Count;
            LogStarted(_logger, visit.Id, recorder.JournalPath);
            return recorder;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _store.Insert(visit, directory, now);
            ReportFailure(visit.Id, "the journal could not be created: " + ex.Message, ex);
            return null;
        }
    }

    private void ReportFailure(string visitId, string message, Exception? ex)
    {
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
            _active.TryRemove(recorder.VisitId, out _);
            _metrics.Active = _active.Count;
            try
            {
                if (recorder.State == RecorderState.Sealed)
                {
                    OnSealed(recorder.VisitId, recorder.JournalPath, recovered: false);
                }
                else
                {
                    ReportFailure(recorder.VisitId, "writing the journal failed: " + recorder.Failure?.Message, recorder.Failure);
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
    }

    private void OnSealed(string visitId, string journalPath, bool recovered)
    {
        var facts = JournalFacts.Read(journalPath);
        var start = facts.FirstMedia ?? facts.LastRecord;
        var end = facts.EndAt ?? facts.LastRecord;
        double? duration = start is { } s && end is { } e ? Math.Max(0, (e - s).TotalSeconds) : null;
        _store.SetState(visitId, RecordingState.Sealed, endedAt: end, durationSeconds: duration, recovered: recovered);
        LogSealed(_logger, visitId, facts.Scan.Records, facts.Scan.FileLength);
        _renderSignal.Release();
    }

    // ---- Recovery ----

    /// <summary>
    /// Seals a journal the writer did not finish: cuts a torn or damaged tail into journal.tail (kept, not destroyed) and
    /// appends an End record that says so. Returns false when the disk still refuses.
    /// </summary>
    private bool SealLeftover(RecordingRow row, string reason, bool recovered)
    {
        var journal = Path.Combine(row.Directory, VisitRecorder.JournalFileName);
        try
        {
            if (!File.Exists(journal))
            {
                _store.SetState(row.VisitId, RecordingState.Failed, error: "no journal was written");
                return false;
            }
            var scan = JournalScanner.Scan(journal);
            if (!scan.PreambleValid)
            {
                _store.SetState(row.VisitId, RecordingState.Failed, error: "the journal has no valid preamble");
                return false;
            }
            if (scan.HasEnd && scan.FirstBadOffset is null)
            {
                OnSealed(row.VisitId, journal, recovered);
                return true;
            }
            long cut = 0;
            using (var stream = new FileStream(journal, FileMode.Open, FileAccess.ReadWrite, FileShare.Read))
            {
                if (scan.FirstBadOffset is { } bad)
                {
                    cut = stream.Length - bad;
                    using (var tail = new FileStream(Path.Combine(row.Directory, "journal.tail"), FileMode.Create, FileAccess.Write))
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
            LogRecovered(_logger, row.VisitId, scan.Records, cut);
            if (recovered)
            {
                _audit.Append("system", "system", "recording.recovered", "recording/" + row.VisitId,
                    $"sealed after a crash; {scan.Records} records kept, {cut} bytes of torn tail moved to journal.tail");
            }
            OnSealed(row.VisitId, journal, recovered);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogFailed(_logger, row.VisitId, "sealing the journal failed: " + ex.Message, ex);
            return false;
        }
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
        if (_renderer is null)
        {
            WriteManifest(row, journal, null, null, "no renderer is configured");
            _store.SetState(row.VisitId, RecordingState.RenderFailed, error: "no renderer is configured");
            return;
        }
        _renderProgress[row.VisitId] = 0;
        var started = Stopwatch.GetTimestamp();
        try
        {
            var progress = new Progress<double>(p => _renderProgress[row.VisitId] = p);
            var timeline = await _renderer.RenderAsync(journal, output, row.VisitId, progress, token).ConfigureAwait(false);
            WriteManifest(row, journal, timeline, output, null);
            _store.SetState(row.VisitId, RecordingState.Rendered, endedAt: timeline.End,
                durationSeconds: (timeline.End - timeline.Start).TotalSeconds);
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
                _store.RenderAttemptFailed(row.VisitId, message, _time.GetUtcNow());
                WriteManifest(row, journal, timeline, null, message);
                _store.SetState(row.VisitId, RecordingState.RenderFailed, error: message);
                _audit.Append("system", "system", "recording.render_failed", "recording/" + row.VisitId, message);
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

    /// <summary>Builds, signs and writes manifest.json, manifest.sig and public-key.pem beside the journal.</summary>
    internal RecordingManifest WriteManifest(RecordingRow row, string journal, ReviewTimeline? timeline, string? reviewCopy, string? error)
    {
        var facts = JournalFacts.Read(journal);
        var begin = facts.Begin;
        var visit = new ManifestVisit(row.VisitId, row.Inmate, row.Visitors,
            begin?.TryGetProperty("scheduledStart", out var ss) == true && ss.TryGetDateTimeOffset(out var s) ? s : row.StartedAt,
            begin?.TryGetProperty("scheduledEnd", out var se) == true && se.TryGetDateTimeOffset(out var e) ? e : row.StartedAt,
            row.Flagged);
        var start = timeline?.Start ?? facts.FirstMedia ?? row.StartedAt;
        var end = timeline?.End ?? facts.EndAt ?? facts.LastRecord ?? start;
        var tracks = timeline?.Tracks ?? TracksOf(facts);
        var end0 = facts.End;
        var recovered = end0?.TryGetProperty("recovered", out var r) == true && r.ValueKind == JsonValueKind.True;
        var cut = end0?.TryGetProperty("cutBytes", out var c) == true && c.TryGetInt64(out var cutBytes) ? cutBytes : 0;
        var dropped = 0L;
        var journalInfo = new ManifestJournal(VisitRecorder.JournalFileName, facts.Scan.Sha256, facts.Scan.FileLength, facts.Scan.Records,
            Convert.ToHexStringLower(facts.Scan.ChainHash), recovered, cut, dropped);
        ManifestFile? media = null;
        if (reviewCopy is not null && File.Exists(reviewCopy))
        {
            media = new ManifestFile(RecordingManifest.ReviewCopyFileName, JournalScanner.Sha256OfFile(reviewCopy),
                new FileInfo(reviewCopy).Length);
        }
        var manifest = new RecordingManifest(RecordingManifest.FormatName, visit, start, end, Math.Max(0, (end - start).TotalSeconds),
            tracks, journalInfo, media, error, timeline?.Gaps ?? [], facts.Bookmarks, _time.GetUtcNow(), _signer.KeyId, AuditHead: _audit.CurrentHead());
        var bytes = JsonSerializer.SerializeToUtf8Bytes(manifest, RecordingManifest.Json);
        var signature = _signer.Sign(bytes);
        WriteAtomically(Path.Combine(row.Directory, RecordingManifest.FileName), bytes);
        WriteAtomically(Path.Combine(row.Directory, RecordingManifest.SignatureFileName), signature);
        WriteAtomically(Path.Combine(row.Directory, RecordingManifest.PublicKeyFileName), System.Text.Encoding.ASCII.GetBytes(_signer.PublicKeyPem));
        return manifest;
    }

    private static List<ManifestTrack> TracksOf(JournalFacts facts)
    {
        var tracks = new List<ManifestTrack>();
        foreach (var (id, description) in facts.Tracks)
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
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write))
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
            if (Directory.Exists(row.Directory))
            {
                Directory.Delete(row.Directory, recursive: true);
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
        Directory.CreateDirectory(RootDirectory);
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

    [LoggerMessage(EventId = 508, Level = LogLevel.Warning, Message = "Visit {VisitId} was recorded and sealed before a restart; later media is not recorded")]
    private static partial void LogAlreadySealed(ILogger logger, string visitId);

    [LoggerMessage(EventId = 509, Level = LogLevel.Error, Message = "Retention job failed: {Message}")]
    private static partial void LogRetentionFailed(ILogger logger, string message, Exception exception);
}
