using System.Diagnostics;
using MediaServer.Recording.Journal;
using MediaServer.Visits;
using Microsoft.Extensions.Logging;

namespace MediaServer.Recording;

/// <summary>Starting a visit's journal: the first segment, or a continuation chained to the last one; a failure is reported.</summary>
public sealed partial class RecordingService
{
    /// <summary>
    /// Opens the visit's journal: segment 1 when the visit has none; otherwise a continuation segment after the last one, which
    /// is sealed first if it is not (a journal that failed mid-visit). The continuation's Begin names the previous segment's
    /// file, chain hash and SHA-256, and its Gap record the span nobody recorded. Returns the error when the disk refuses.
    /// </summary>
    private (VisitRecorder? Recorder, string? Error) Start(Visit visit)
    {
        if (!RecordingPaths.IsSafeId(visit.Id))
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

    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "Recording visit {VisitId} into {Path}")]
    private static partial void LogStarted(ILogger logger, string visitId, string path);

    [LoggerMessage(EventId = 507, Level = LogLevel.Warning, Message = "Visit {VisitId} has an id unfit for a folder name; not recorded")]
    private static partial void LogUnsafeId(ILogger logger, string visitId);

    [LoggerMessage(EventId = 510, Level = LogLevel.Warning, Message = "Recording of visit {VisitId} continues in segment {Segment} after {Seconds:0.0} s unrecorded")]
    private static partial void LogContinued(ILogger logger, string visitId, int segment, double seconds);
}
