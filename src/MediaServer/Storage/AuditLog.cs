using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;

namespace MediaServer.Storage;

public sealed record AuditEntry(long Seq, DateTimeOffset At, string Actor, string Role, string Action, string Target, string Outcome);

public sealed record AuditVerification(bool Ok, long Entries, long? FirstBadEntry);

/// <summary>
/// Tamper-evident audit log: every entry stores the SHA-256 of its predecessor and of itself, so an edited, inserted or
/// deleted row breaks the chain at that row. Truncation of the newest rows is caught while the process that wrote them is
/// running (it remembers the head); after a restart only the chain itself is checked.
/// </summary>
public sealed class AuditLog
{
    private const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";
    private readonly Database _database;
    private readonly TimeProvider _time;
    private readonly Lock _appendLock = new();
    private long _headSeq;
    private string _headHash = Genesis;

    public AuditLog(Database database, TimeProvider time)
    {
        _database = database;
        _time = time;
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";
        using var reader = command.ExecuteReader();
        if (reader.Read())
        {
            _headSeq = reader.GetInt64(0);
            _headHash = reader.GetString(1);
        }
    }

    public AuditEntry Append(string actor, string role, string action, string target, string outcome)
    {
        lock (_appendLock)
        {
            var at = _time.GetUtcNow();
            var entry = new AuditEntry(_headSeq + 1, at, actor, role, action, target, outcome);
            var hash = ComputeHash(_headHash, entry);
            using var connection = _database.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO audit (seq, at, actor, role, action, target, outcome, prev_hash, hash)
                VALUES ($seq, $at, $actor, $role, $action, $target, $outcome, $prev, $hash)
                """;
            command.Parameters.AddWithValue("$seq", entry.Seq);
            command.Parameters.AddWithValue("$at", FormatTime(at));
            command.Parameters.AddWithValue("$actor", actor);
            command.Parameters.AddWithValue("$role", role);
            command.Parameters.AddWithValue("$action", action);
            command.Parameters.AddWithValue("$target", target);
            command.Parameters.AddWithValue("$outcome", outcome);
            command.Parameters.AddWithValue("$prev", _headHash);
            command.Parameters.AddWithValue("$hash", hash);
            command.ExecuteNonQuery();
            _headSeq = entry.Seq;
            _headHash = hash;
            return entry;
        }
    }

    public IReadOnlyList<AuditEntry> Query(DateTimeOffset? from, DateTimeOffset? to, string? actor, string? visit, int limit = 1000)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        var sql = new StringBuilder("SELECT seq, at, actor, role, action, target, outcome FROM audit WHERE 1 = 1");
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

    public AuditVerification Verify()
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, at, actor, role, action, target, outcome, prev_hash, hash FROM audit ORDER BY seq";
        using var reader = command.ExecuteReader();
        var expectedPrev = Genesis;
        long expectedSeq = 1;
        long count = 0;
        while (reader.Read())
        {
            count++;
            var entry = ReadEntry(reader);
            var prev = reader.GetString(7);
            var stored = reader.GetString(8);
            // A gap in seq means a deleted row; a wrong prev_hash means an inserted or reordered one; a wrong hash an edit.
            if (entry.Seq != expectedSeq || !string.Equals(prev, expectedPrev, StringComparison.Ordinal)
                || !string.Equals(ComputeHash(prev, entry), stored, StringComparison.Ordinal))
            {
                return new AuditVerification(false, count, Math.Min(entry.Seq, expectedSeq));
            }
            expectedPrev = stored;
            expectedSeq++;
        }
        long head;
        lock (_appendLock)
        {
            head = _headSeq;
        }
        if (expectedSeq - 1 < head)
        {
            return new AuditVerification(false, count, expectedSeq);
        }
        return new AuditVerification(true, count, null);
    }

    private static AuditEntry ReadEntry(SqliteDataReader reader) => new(
        reader.GetInt64(0),
        DateTimeOffset.Parse(reader.GetString(1), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        reader.GetString(5),
        reader.GetString(6));

    private static string FormatTime(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static string EscapeLike(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    /// <summary>SHA-256 over the predecessor's hash and the entry's fields, each length-prefixed so that no two entries encode alike.</summary>
    internal static string ComputeHash(string previousHash, AuditEntry entry)
    {
        var builder = new StringBuilder();
        void Field(string value) => builder.Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(value).Append('\n');
        Field(previousHash);
        Field(entry.Seq.ToString(CultureInfo.InvariantCulture));
        Field(FormatTime(entry.At));
        Field(entry.Actor);
        Field(entry.Role);
        Field(entry.Action);
        Field(entry.Target);
        Field(entry.Outcome);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(builder.ToString())));
    }
}
