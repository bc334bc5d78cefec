using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MediaServer.Visits;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace MediaServer.Storage;

/// <summary>
/// Tamper-evident audit log (docs/audit-log.md). Every entry stores the HMAC-SHA-256 (RFC 2104) of its predecessor's HMAC and of
/// its own fields, under a key that lives in the key directory and never in the database: whoever can write the database can
/// delete or edit rows but cannot recompute the chain. Signed checkpoints (sequence, head) are appended to a file beside the key
/// and to the log every <see cref="AuditOptions.CheckpointEvery"/> entries, at start and at shutdown, so that dropping the newest
/// rows (which leaves a valid but shorter chain) is caught too. A refusal is written at once; identical ones within a window
/// after it become one more entry with a count, so a flood of refused requests cannot flood the log. The hash chain is
/// <see cref="AuditChain"/>, the checkpoint file <see cref="AuditCheckpoints"/>; coalescing (AuditLog.Coalescing.cs) and
/// verification (AuditLog.Verify.cs) are files of their own.
/// </summary>
public sealed partial class AuditLog : IAuditLog, IDisposable
{
    public const string KeyFileName = "audit-hmac.key";
    public const string CheckpointFileName = "audit-checkpoints.jsonl";

    private readonly Database _database;
    private readonly TimeProvider _time;
    private readonly AuditOptions _options;
    private readonly ILogger _logger;
    private readonly byte[] _chainKey;
    private readonly AuditCheckpoints _checkpoints;
    private readonly Lock _appendLock = new();
    private long _headSeq;
    private string _headHash = AuditChain.Genesis;
    private int _sinceCheckpoint;
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
        var checkpointKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, master, 32, info: "mediaserver audit checkpoint v1"u8.ToArray());
        CryptographicOperations.ZeroMemory(master);
        _checkpoints = new AuditCheckpoints(keys.FilePath(CheckpointFileName), checkpointKey, _logger);
        (_headSeq, _headHash) = ReadHead();
        if (created && !_checkpoints.Exists)
        {
            // A new key: the checkpoint file starts with it, so from now on a missing file is itself a finding. Rows already in
            // the database were written by an older server without a key; they cannot be re-keyed honestly, so a signed
            // "legacy" checkpoint pins their head: they verify as SHA-256 links up to it (any change to them changes that
            // head) and every later entry is keyed.
            var legacy = _headSeq > 0;
            _checkpoints.Append(new AuditCheckpoint(_headSeq, _headHash, AuditChain.FormatTime(_time.GetUtcNow()), legacy ? "adopted unkeyed rows" : "key created", legacy, ""));
            AdoptedLegacyRows = _headSeq;
        }
    }

    /// <summary>Entries 1 to this were adopted from an older server's unkeyed chain when this process made the key (0: none).</summary>
    public long AdoptedLegacyRows { get; }

    public string CheckpointPath => _checkpoints.Path;

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

    public AuditEntry Append(string actor, string role, string action, string target, string outcome)
    {
        lock (_appendLock)
        {
            var now = _time.GetUtcNow();
            if (IsRefusal(outcome) && _options.CoalesceWindow > TimeSpan.Zero)
            {
                return AppendRefusalLocked(now, actor, role, action, target, outcome);
            }
            return Write(now, actor, role, action, target, outcome, 1);
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
            command.Parameters.AddWithValue("$from", AuditChain.FormatTime(f));
        }
        if (to is { } t)
        {
            sql.Append(" AND at <= $to");
            command.Parameters.AddWithValue("$to", AuditChain.FormatTime(t));
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
            entries.Add(AuditChain.ReadEntry(reader));
        }
        return entries;
    }

    public void Dispose()
    {
        _flushTimer?.Dispose();
    }

    private AuditEntry Write(DateTimeOffset at, string actor, string role, string action, string target, string outcome, int count)
    {
        using var connection = _database.Open();
        // BEGIN IMMEDIATE: another process (the token command) appending at the same moment waits instead of forking the chain.
        using var transaction = connection.BeginTransaction(deferred: false);
        long headSeq = 0;
        var headHash = AuditChain.Genesis;
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
        var hash = AuditChain.ComputeHash(_chainKey, headHash, entry);
        using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = """
                INSERT INTO audit (seq, at, actor, role, action, target, outcome, count, prev_hash, hash)
                VALUES ($seq, $at, $actor, $role, $action, $target, $outcome, $count, $prev, $hash)
                """;
            command.Parameters.AddWithValue("$seq", entry.Seq);
            command.Parameters.AddWithValue("$at", AuditChain.FormatTime(at));
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

    private void WriteCheckpointLocked(string reason)
    {
        var (seq, hash) = ReadHead();
        _headSeq = seq;
        _headHash = hash;
        _sinceCheckpoint = 0;
        _checkpoints.Append(new AuditCheckpoint(seq, hash, AuditChain.FormatTime(_time.GetUtcNow()), reason, false, ""));
    }

    private static string EscapeLike(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    private (long Seq, string Hash) ReadHead()
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), reader.GetString(1)) : (0, AuditChain.Genesis);
    }
}
