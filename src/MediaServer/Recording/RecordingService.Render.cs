using System.Diagnostics;
using MediaServer.Recording.Journal;
using MediaServer.Recording.Manifest;
using Microsoft.Extensions.Logging;

namespace MediaServer.Recording;

/// <summary>
/// The render queue: sealed recordings are rendered one at a time into their review copy (<see cref="Review.IReviewCopyRenderer"/>),
/// retried with a doubling delay, and given their signed manifest; a result made stale by a continuation segment is dropped.
/// </summary>
public sealed partial class RecordingService
{
    /// <summary>
    /// An admin asks for a render_failed recording to be rendered again (FFmpeg fixed): it is sealed again and the queue woken;
    /// it gets one more attempt. The state it was in, or null when there is no such recording.
    /// </summary>
    public RecordingState? RenderAgain(string visitId)
    {
        lock (_gate)
        {
            var row = _store.Load(visitId);
            if (row is null || row.State != RecordingState.RenderFailed)
            {
                return row?.State;
            }
            _store.SetState(visitId, RecordingState.Sealed);
        }
        _renderSignal.Release();
        return RecordingState.RenderFailed;
    }

    /// <summary>Sealed recordings waiting for their review copy (being rendered, or queued behind it).</summary>
    public int RenderBacklog() => _store.LoadByState(RecordingState.Sealed).Count;

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
                    _manifests.Write(row, journal, null, null, "no renderer is configured");
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
                _manifests.Write(row, journal, timeline, output, null);
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
                        _manifests.Write(row, journal, timeline, null, message);
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

    [LoggerMessage(EventId = 504, Level = LogLevel.Information, Message = "Review copy of visit {VisitId} rendered in {Seconds:0.0} s")]
    private static partial void LogRendered(ILogger logger, string visitId, double seconds);

    [LoggerMessage(EventId = 505, Level = LogLevel.Error, Message = "Rendering visit {VisitId}: {Message}")]
    private static partial void LogRenderFailed(ILogger logger, string visitId, string message, Exception? exception);
}
