using System.Diagnostics;
using MediaServer.Recording.Journal;
using Microsoft.Extensions.Logging;

namespace MediaServer.Recording;

/// <summary>
/// The one writer thread: every flush interval it drains each recorder's buffer to its journal, and hands a journal that was
/// sealed to the render queue, or one whose disk failed to the failure policy.
/// </summary>
public sealed partial class RecordingService
{
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
            if (stopped is not null && _options.RefuseWhenUnrecorded && !recorder.SealRequested && _visitMustEnd is { } handler)
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

    [LoggerMessage(EventId = 502, Level = LogLevel.Information, Message = "Recording of visit {VisitId} sealed: {Records} records, {Bytes} bytes")]
    private static partial void LogSealed(ILogger logger, string visitId, long records, long bytes);

    [LoggerMessage(EventId = 506, Level = LogLevel.Warning, Message = "Recording of visit {VisitId} dropped {Count} packets: the journal buffer was full")]
    private static partial void LogDropped(ILogger logger, string visitId, long count);
}
