using MediaServer.Visits;
using Microsoft.Extensions.Logging;

namespace MediaServer.Recording.Retention;

/// <summary>
/// Retention (MediaServer:Recording:Retention): recordings whose visit ended longer ago than the retention period are deleted,
/// unless under legal hold or still being written; each purge is audited and the row stays, marked purged.
/// </summary>
/// <param name="isActive">True while a recording is being written (never purged then).</param>
internal sealed partial class RetentionJob(RecordingOptions options, IRecordingStore store, IAuditLog audit, RecordingMetrics metrics,
    TimeProvider time, ILogger logger, Func<string, bool> isActive)
{
    private readonly RecordingOptions _options = options;
    private readonly IRecordingStore _store = store;
    private readonly IAuditLog _audit = audit;
    private readonly RecordingMetrics _metrics = metrics;
    private readonly TimeProvider _time = time;
    private readonly ILogger _logger = logger;

    /// <summary>Purges every <see cref="RecordingOptions.RetentionCheckInterval"/> until stopped.</summary>
    public async Task RunAsync(CancellationToken token)
    {
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
            if (row.Hold || ended > cutoff || isActive(row.VisitId))
            {
                continue;
            }
            // The folder is {root}/{id}, derived here from a validated id, never a path the database holds.
            if (RecordingPaths.FolderOf(_options.RootDirectory, row.VisitId) is not { } folder)
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

    [LoggerMessage(EventId = 509, Level = LogLevel.Error, Message = "Retention job failed: {Message}")]
    private static partial void LogRetentionFailed(ILogger logger, string message, Exception exception);
}
