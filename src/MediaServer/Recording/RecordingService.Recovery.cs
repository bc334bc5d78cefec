using MediaServer.Recording.Journal;
using Microsoft.Extensions.Logging;

namespace MediaServer.Recording;

/// <summary>
/// Crash recovery: a recording the writer did not finish (the server stopped, or the disk failed) has its last segment sealed
/// at the next start or when its visit ends, with a torn tail kept in the segment's tail file.
/// </summary>
public sealed partial class RecordingService
{
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

    /// <summary>Seals a segment nobody is writing (<see cref="JournalRecovery.Seal"/>) and logs what was kept and cut.</summary>
    private long SealSegmentFile(string visitId, string journal, int segment, string reason, bool recovered)
    {
        var (records, cut) = JournalRecovery.Seal(journal, segment, reason, recovered, _time.GetUtcNow());
        LogRecovered(_logger, visitId, records, cut);
        return cut;
    }

    [LoggerMessage(EventId = 503, Level = LogLevel.Warning, Message = "Recording of visit {VisitId} recovered: {Records} records kept, {Cut} bytes of torn tail cut")]
    private static partial void LogRecovered(ILogger logger, string visitId, long records, long cut);
}
