using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MediaServer.Auth;
using MediaServer.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace MediaServer.Storage;

/// <summary>One audit entry. <see cref="Count"/> &gt; 1: that many identical refusals within the coalescing window, from <see cref="At"/>.</summary>
public sealed record AuditEntry(long Seq, DateTimeOffset At, string Actor, string Role, string Action, string Target, string Outcome, int Count = 1);

/// <param name="Ok">The chain recomputes with the key and agrees with every signed checkpoint.</param>
/// <param name="Entries">Rows read.</param>
/// <param name="FirstBadEntry">The first sequence number that is edited, missing or beyond what is left (truncation).</param>
/// <param name="Checkpoint">The newest signed checkpoint's sequence (0: none).</param>
/// <param name="Problem">What is wrong, in words; null when Ok.</param>
public sealed record AuditVerification(bool Ok, long Entries, long? FirstBadEntry, long Checkpoint = 0, string? Problem = null);

/// <summary>The newest entry: its sequence number and its HMAC (hex). Seq 0 and the genesis value for an empty log.</summary>
public sealed record AuditHead(long Seq, string Hash);

/// <summary>
/// Tamper-evident audit log (docs/audit-log.md). Every entry stores the HMAC-SHA-256 (RFC 2104) of its predecessor's HMAC and of
/// its own fields, under a key that lives in the key directory and never in the database: whoever can write the database can
/// delete or edit rows but cannot recompute the chain. Signed checkpoints (sequence, head) are appended to a file beside the key
/// and to the log every <see cref="AuditOptions.CheckpointEvery"/> entries, at start and at shutdown, so that dropping the newest
/// rows (which leaves a valid but shorter chain) is caught too. A refusal is written at once; identical ones within a window
/// after it become one more entry with a count, so a flood of refused requests cannot flood the log.
/// </summary>
public sealed partial class AuditLog : IDisposable, IAuditTrail
{
    public const string KeyFileName = "audit-hmac.key";
    public const string CheckpointFileName = "audit-checkpoints.jsonl";
    internal const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";
    private const int MaxPendingRefusals = 1024;

    private static readonly JsonSerializerOptions CheckpointJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault,
    };

    private readonly Database _database;
    private readonly TimeProvider _time;
    private readonly AuditOptions _options;
    private readonly ILogger _logger;
    private readonly byte[] _chainKey;
    private readonly byte[] _checkpointKey;
    private readonly string _checkpointPath;
    private readonly Lock _appendLock = new();
    private readonly Dictionary<PendingKey, Pending> _pending = [];
    private ITimer? _flushTimer;
    private long _headSeq;
    private string _headHash = Genesis;
    private int _sinceCheckpoint;
    private long _coalesced;
    private volatile AuditVerification? _lastVerification;

    public AuditLog(Database database, KeyDirectory keys, TimeProvider time, AuditOptions? options = null, ILogger<AuditLog>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _database = database;
        _time = time;
        _options = options ?? new AuditOptions();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        var master = keys.LoadOrCreateSecret(KeyFileName, 32, out var created);
        // Two keys from one secret (HKDF, RFC 5869 §2): one chains entries, the other signs checkpoints, so neither can pass for the other.
        _chainKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, master, 32, info: "mediaserver audit chain v1"u8.ToArray());
        _checkpointKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, master, 32, info: "mediaserver audit checkpoint v1"u8.ToArray());
        CryptographicOperations.ZeroMemory(master);
        _checkpointPath = keys.FilePath(CheckpointFileName);
        (_headSeq, _headHash) = ReadHead();
        if (created && !File.Exists(_checkpointPath))
        {
            // A new key: the checkpoint file starts with it, so from now on a missing file is itself a finding. Rows already in
            // the database were written by an older server without a key; they cannot be re-keyed honestly, so a signed
            // "legacy" checkpoint pins their head: they verify as SHA-256 links up to it (any change to them changes that
            // head) and every later entry is keyed.
            var legacy = _headSeq > 0;
            WriteCheckpointLine(new Checkpoint(_headSeq, _headHash, FormatTime(_time.GetUtcNow()), legacy ? "adopted unkeyed rows" : "key created", legacy, ""));
            AdoptedLegacyRows = _headSeq;
        }
    }

    /// <summary>Entries 1 to this were adopted from an older server's unkeyed chain when this process made the key (0: none).</summary>
    public long AdoptedLegacyRows { get; }

    public string CheckpointPath => _checkpointPath;

    /// <summary>Refusals folded into an earlier entry's count instead of written as rows of their own.</summary>
    public long Coalesced => Interlocked.Read(ref _coalesced);

    /// <summary>The outcome of the newest verification (at start, or by /api/audit/verify); null before the first.</summary>
    public AuditVerification? LastVerification => _lastVerification;

    /// <summary>
    /// The newest written entry (sequence and HMAC): what a recording's manifest names as the audit head at signing. Refusals
    /// still waiting in a coalescing window are not part of it.
    /// </summary>
    public AuditHead CurrentHead()
    {
        var (seq, hash) = ReadHead();
        return new AuditHead(seq, hash);
    }

    void IAuditTrail.Append(string actor, string role, string action, string target, string outcome) => Append(actor, role, action, target, outcome);

    public AuditEntry Append(string actor, string role, string action, string target, string outcome)
    {
        lock (_appendLock)
        {
            var now = _time.GetUtcNow();
            if (IsRefusal(outcome) && _options.CoalesceWindow > TimeSpan.Zero)
            {
                // The first refusal is written at once (a lone refusal is never delayed or lost); identical ones within the
                // window after it are counted and written as one row when the window closes.
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
            return Write(now, actor, role, action, target, outcome, 1);
        }
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

    /// <summary>Writes every open coalescing window and a checkpoint of the head (at shutdown).</summary>
    public void Close()
    {
        lock (_appendLock)
        {
            FlushPendingLocked(all: true);
            WriteCheckpointLocked("shutdown");
        }
    }

    /// <summary>Appends a signed checkpoint of the current head to the checkpoint file and the log.</summary>
    public void WriteCheckpoint(string reason)
    {
        lock (_appendLock)
        {
            WriteCheckpointLocked(reason);
        }
    }

    public IReadOnlyList<AuditEntry> Query(DateTimeOffset? from, DateTimeOffset? to, string? actor, string? visit, int limit = 1000)
    {
        lock (_appendLock)
        {
            FlushPendingLocked(all: true);
        }
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        var sql = new StringBuilder("SELECT seq, at, actor, role, action, target, outcome, count FROM audit WHERE 1 = 1");
        if (from is { } f)
        {
            sql.Append(" AND at >= $from");
            command.Parameters.AddWithValue("$from", FormatTime(f));
        }
        if (to is { } t)
        {
            sql.Append(" AND at <= $to");
            command.Parameters.AddWithValue("$to", FormatTime(t));
        }
        if (!string.IsNullOrEmpty(actor))
        {
            sql.Append(" AND actor = $actor");
            command.Parameters.AddWithValue("$actor", actor);
        }
        if (!string.IsNullOrEmpty(visit))
        {
            // Targets name the visit first ("visit/{id}" or "visit/{id}/...").
            sql.Append(" AND (target = $visit OR target LIKE $visitPrefix ESCAPE '\\')");
            command.Parameters.AddWithValue("$visit", "visit/" + visit);
            command.Parameters.AddWithValue("$visitPrefix", "visit/" + EscapeLike(visit) + "/%");
        }
        sql.Append(" ORDER BY seq LIMIT $limit");
        command.Parameters.AddWithValue("$limit", limit);
        command.CommandText = sql.ToString();
        var entries = new List<AuditEntry>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            entries.Add(ReadEntry(reader));
        }
        return entries;
    }

    /// <summary>
    /// Recomputes the chain with the key and compares it with every signed checkpoint. Reports the first sequence number that is
    /// edited, re-chained without the key, missing (a deleted row) or gone (the newest rows dropped: a checkpoint names a sequence
    /// the log no longer reaches).
    /// </summary>
    public AuditVerification Verify()
    {
        long headAtStart;
        lock (_appendLock)
        {
            FlushPendingLocked(all: true);
            headAtStart = _headSeq;
        }
        var checkpoints = ReadCheckpoints(out var checkpointProblem);
        var legacyUpTo = checkpoints.Where(c => c.Legacy).Select(c => c.Seq).DefaultIfEmpty(0).Min();
        var wanted = new Dictionary<long, string>();
        foreach (var checkpoint in checkpoints)
        {
            wanted.TryAdd(checkpoint.Seq, "");
        }

        long count = 0;
        long lastGood = 0;
        long? chainBreak = null;
        var expectedPrev = Genesis;
        using (var connection = _database.Open())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT seq, at, actor, role, action, target, outcome, count, prev_hash, hash FROM audit ORDER BY seq";
            using var reader = command.ExecuteReader();
            long expectedSeq = 1;
            while (reader.Read())
            {
                count++;
                var entry = ReadEntry(reader);
                var prev = reader.GetString(8);
                var stored = reader.GetString(9);
                var key = entry.Seq <= legacyUpTo ? null : _chainKey;
                // A gap in seq means a deleted row; a wrong prev_hash an inserted or reordered one; a wrong HMAC an edit or a
                // row re-chained without the key.
                if (chainBreak is null && (entry.Seq != expectedSeq || !string.Equals(prev, expectedPrev, StringComparison.Ordinal)
                    || !FixedTimeEquals(ComputeHash(key, prev, entry), stored)))
                {
                    chainBreak = Math.Min(entry.Seq, expectedSeq);
                }
                if (chainBreak is null)
                {
                    lastGood = entry.Seq;
                    if (wanted.ContainsKey(entry.Seq))
                    {
                        wanted[entry.Seq] = stored;
                    }
                }
                expectedPrev = stored;
                expectedSeq = entry.Seq + 1;
            }
        }

        long? firstBad = chainBreak;
        string? problem = chainBreak is { } at ? $"the chain does not recompute with the audit key at entry {at} (edited, deleted or re-chained)" : null;
        void Bad(long seq, string why)
        {
            if (firstBad is null || seq < firstBad)
            {
                firstBad = seq;
                problem = why;
            }
        }
        long newest = 0;
        foreach (var checkpoint in checkpoints)
        {
            newest = Math.Max(newest, checkpoint.Seq);
            if (checkpoint.Seq == 0)
            {
                continue;
            }
            if (chainBreak is { } broken && checkpoint.Seq >= broken)
            {
                continue; // Already reported at or before this checkpoint.
            }
            if (checkpoint.Seq > lastGood)
            {
                Bad(lastGood + 1, $"entries {lastGood + 1} to {checkpoint.Seq} are gone: the checkpoint at {checkpoint.At:O} names entry {checkpoint.Seq}, the log ends at {lastGood}");
            }
            else if (!FixedTimeEquals(wanted[checkpoint.Seq], checkpoint.Head))
            {
                Bad(checkpoint.Seq, $"entry {checkpoint.Seq} differs from the signed checkpoint of {checkpoint.At:O}");
            }
        }
        if (firstBad is null && lastGood < headAtStart)
        {
            Bad(lastGood + 1, $"entries {lastGood + 1} to {headAtStart} were written by this server and are gone");
        }
        if (firstBad is null && checkpointProblem is not null)
        {
            problem = checkpointProblem;
        }
        else if (checkpointProblem is not null)
        {
            problem += "; " + checkpointProblem;
        }
        var result = new AuditVerification(firstBad is null && checkpointProblem is null, count, firstBad, newest, problem);
        _lastVerification = result;
        return result;
    }

    public void Dispose()
    {
        _flushTimer?.Dispose();
    }

    internal static bool IsRefusal(string outcome) =>
        outcome.StartsWith("refused", StringComparison.Ordinal) || outcome.StartsWith("forbidden", StringComparison.Ordinal);

    private AuditEntry Write(DateTimeOffset at, string actor, string role, string action, string target, string outcome, int count)
    {
        using var connection = _database.Open();
        // BEGIN IMMEDIATE: another process (the token command) appending at the same moment waits instead of forking the chain.
        using var transaction = connection.BeginTransaction(deferred: false);
        long headSeq = 0;
        var headHash = Genesis;
        using (var head = connection.CreateCommand())
        {
            head.Transaction = transaction;
            head.CommandText = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";
            using var reader = head.ExecuteReader();
            if (reader.Read())
            {
                headSeq = reader.GetInt64(0);
                headHash = reader.GetString(1);
            }
        }
        var entry = new AuditEntry(headSeq + 1, at, actor, role, action, target, outcome, count);
        var hash = ComputeHash(_chainKey, headHash, entry);
        using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = """
                INSERT INTO audit (seq, at, actor, role, action, target, outcome, count, prev_hash, hash)
                VALUES ($seq, $at, $actor, $role, $action, $target, $outcome, $count, $prev, $hash)
                """;
            command.Parameters.AddWithValue("$seq", entry.Seq);
            command.Parameters.AddWithValue("$at", FormatTime(at));
            command.Parameters.AddWithValue("$actor", actor);
            command.Parameters.AddWithValue("$role", role);
            command.Parameters.AddWithValue("$action", action);
            command.Parameters.AddWithValue("$target", target);
            command.Parameters.AddWithValue("$outcome", outcome);
            command.Parameters.AddWithValue("$count", count);
            command.Parameters.AddWithValue("$prev", headHash);
            command.Parameters.AddWithValue("$hash", hash);
            command.ExecuteNonQuery();
        }
        transaction.Commit();
        _headSeq = entry.Seq;
        _headHash = hash;
        if (++_sinceCheckpoint >= _options.CheckpointEvery)
        {
            WriteCheckpointLocked("every " + _options.CheckpointEvery.ToString(CultureInfo.InvariantCulture));
        }
        return entry;
    }

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

    private void WriteCheckpointLocked(string reason)
    {
        var (seq, hash) = ReadHead();
        _headSeq = seq;
        _headHash = hash;
        _sinceCheckpoint = 0;
        WriteCheckpointLine(new Checkpoint(seq, hash, FormatTime(_time.GetUtcNow()), reason, false, ""));
    }

    private void WriteCheckpointLine(Checkpoint checkpoint)
    {
        var signed = checkpoint with { Mac = CheckpointMac(checkpoint) };
        var line = JsonSerializer.Serialize(signed, CheckpointJson) + "\n";
        // One write with O_APPEND: lines from two processes never interleave. Flushed to disk before it counts.
        using (var stream = new FileStream(_checkpointPath, KeyDirectory.CreateOptions(FileMode.Append, FileAccess.Write)))
        {
            stream.Write(Encoding.UTF8.GetBytes(line));
            stream.Flush(flushToDisk: true);
        }
        LogCheckpoint(_logger, signed.Seq, signed.Head, signed.Reason, signed.Mac);
    }

    private string CheckpointMac(Checkpoint checkpoint)
    {
        var text = new StringBuilder();
        Field(text, "mediaserver-audit-checkpoint-v1");
        Field(text, checkpoint.Seq.ToString(CultureInfo.InvariantCulture));
        Field(text, checkpoint.Head);
        Field(text, checkpoint.At);
        Field(text, checkpoint.Reason);
        Field(text, checkpoint.Legacy ? "legacy" : "keyed");
        return Convert.ToHexStringLower(HMACSHA256.HashData(_checkpointKey, Encoding.UTF8.GetBytes(text.ToString())));
    }

    private List<Checkpoint> ReadCheckpoints(out string? problem)
    {
        problem = null;
        var result = new List<Checkpoint>();
        if (!File.Exists(_checkpointPath))
        {
            if (_headSeq > 0)
            {
                problem = $"the checkpoint file {_checkpointPath} is missing";
            }
            return result;
        }
        var number = 0;
        foreach (var line in File.ReadLines(_checkpointPath))
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }
            Checkpoint? checkpoint = null;
            try
            {
                checkpoint = JsonSerializer.Deserialize<Checkpoint>(line, CheckpointJson);
            }
            catch (JsonException)
            {
            }
            if (checkpoint is null || checkpoint.Head is null || checkpoint.Mac is null || checkpoint.At is null || checkpoint.Reason is null
                || !FixedTimeEquals(CheckpointMac(checkpoint), checkpoint.Mac))
            {
                problem ??= $"checkpoint line {number} does not verify with the checkpoint key (edited or forged)";
                continue;
            }
            result.Add(checkpoint);
        }
        return result;
    }

    private (long Seq, string Hash) ReadHead()
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), reader.GetString(1)) : (0, Genesis);
    }

    private static bool FixedTimeEquals(string a, string b) =>
        a.Length == b.Length && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));

    private static AuditEntry ReadEntry(SqliteDataReader reader) => new(
        reader.GetInt64(0),
        DateTimeOffset.Parse(reader.GetString(1), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        reader.GetString(5),
        reader.GetString(6),
        reader.GetInt32(7));

    private static string FormatTime(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static string EscapeLike(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    private static void Field(StringBuilder builder, string value) =>
        builder.Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(value).Append('\n');

    /// <summary>
    /// HMAC-SHA-256 (RFC 2104) under KEY over the predecessor's value and the entry's fields, each length-prefixed so that no two
    /// entries encode alike. A null key gives the plain SHA-256 of the same text: the unkeyed links of rows adopted from an
    /// older server (a count of 1 is left out there, as those rows had none).
    /// </summary>
    internal static string ComputeHash(byte[]? key, string previousHash, AuditEntry entry)
    {
        var builder = new StringBuilder();
        Field(builder, previousHash);
        Field(builder, entry.Seq.ToString(CultureInfo.InvariantCulture));
        Field(builder, FormatTime(entry.At));
        Field(builder, entry.Actor);
        Field(builder, entry.Role);
        Field(builder, entry.Action);
        Field(builder, entry.Target);
        Field(builder, entry.Outcome);
        if (key is null)
        {
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(builder.ToString())));
        }
        Field(builder, entry.Count.ToString(CultureInfo.InvariantCulture));
        return Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(builder.ToString())));
    }

    [LoggerMessage(EventId = 9001, Level = LogLevel.Information,
        Message = "Audit checkpoint: seq {Seq} head {Head} ({Reason}); mac {Mac}")]
    private static partial void LogCheckpoint(ILogger logger, long seq, string head, string reason, string mac);

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

    /// <summary>One line of the checkpoint file (docs/audit-log.md).</summary>
    private sealed record Checkpoint(long Seq, string Head, string At, string Reason, bool Legacy, string Mac);
}
