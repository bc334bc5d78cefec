using MediaServer.Visits;
using Microsoft.Data.Sqlite;

namespace MediaServer.Storage;

/// <summary>
/// Coalescing of refusals (MediaServer:Audit:CoalesceWindow): identical refusals within the window after a written one become
/// one more entry with a count, so a flood of refused requests cannot flood the log.
/// </summary>
public sealed partial class AuditLog
{
    private const int MaxPendingRefusals = 1024;

    private readonly Dictionary<PendingKey, Pending> _pending = [];
    private ITimer? _flushTimer;
    private long _coalesced;

    /// <summary>
    /// Held <see cref="_appendLock"/>: the first refusal is written at once (a lone refusal is never delayed or lost); identical
    /// ones within the window after it are counted and written as one row when the window closes.
    /// </summary>
    private AuditEntry AppendRefusalLocked(DateTimeOffset now, string actor, string role, string action, string target, string outcome)
    {
        var key = new PendingKey(actor, role, action, target, outcome);
        if (_pending.TryGetValue(key, out var open))
        {
            if (now - open.Opened < _options.CoalesceWindow)
            {
                open.Count++;
                open.FirstRepeat ??= now;
                Interlocked.Increment(ref _coalesced);
                return new AuditEntry(0, open.FirstRepeat.Value, actor, role, action, target, outcome, open.Count);
            }
            _pending.Remove(key);
            WritePending(key, open);
        }
        if (_pending.Count >= MaxPendingRefusals)
        {
            FlushPendingLocked(all: true);
        }
        var written = Write(now, actor, role, action, target, outcome, 1);
        _pending[key] = new Pending(now);
        _flushTimer ??= _time.CreateTimer(_ => FlushExpiredOnTimer(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        return written;
    }

    /// <summary>Writes the coalesced refusals whose window has closed (run every second by a timer).</summary>
    public void FlushExpired()
    {
        lock (_appendLock)
        {
            FlushPendingLocked(all: false);
        }
    }

    private void FlushExpiredOnTimer()
    {
        try
        {
            FlushExpired();
        }
        catch (Exception e) when (e is SqliteException or IOException or UnauthorizedAccessException)
        {
            LogFlushFailed(_logger, e);
        }
    }

    internal static bool IsRefusal(string outcome) =>
        outcome.StartsWith("refused", StringComparison.Ordinal) || outcome.StartsWith("forbidden", StringComparison.Ordinal);

    private void WritePending(PendingKey key, Pending pending)
    {
        if (pending.Count > 0 && pending.FirstRepeat is { } first)
        {
            Write(first, key.Actor, key.Role, key.Action, key.Target, key.Outcome, pending.Count);
        }
    }

    private void FlushPendingLocked(bool all)
    {
        if (_pending.Count == 0)
        {
            return;
        }
        var now = _time.GetUtcNow();
        List<KeyValuePair<PendingKey, Pending>>? closing = null;
        foreach (var pair in _pending)
        {
            if (all || now - pair.Value.Opened >= _options.CoalesceWindow)
            {
                (closing ??= []).Add(pair);
            }
        }
        if (closing is null)
        {
            return;
        }
        // Oldest window first, so the rows come out in the order the refusals began.
        closing.Sort((a, b) => a.Value.Opened.CompareTo(b.Value.Opened));
        foreach (var (key, pending) in closing)
        {
            _pending.Remove(key);
            WritePending(key, pending);
        }
    }

    [LoggerMessage(EventId = 9002, Level = LogLevel.Error, Message = "Coalesced audit refusals could not be written yet; retrying in a second")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception);

    private readonly record struct PendingKey(string Actor, string Role, string Action, string Target, string Outcome);

    /// <summary>A coalescing window: opened by a written refusal, counting the identical ones after it.</summary>
    private sealed class Pending(DateTimeOffset opened)
    {
        public DateTimeOffset Opened { get; } = opened;

        public DateTimeOffset? FirstRepeat { get; set; }

        public int Count { get; set; }
    }
}
