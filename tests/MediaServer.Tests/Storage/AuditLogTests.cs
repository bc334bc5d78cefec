using System.Globalization;
using MediaServer.Storage;
using MediaServer.Visits;
using Microsoft.Data.Sqlite;

namespace MediaServer.Tests.Storage;

public sealed class AuditLogTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("audit-test-").FullName;
    private readonly ManualTime _time = new();
    private readonly List<AuditLog> _logs = [];

    public void Dispose()
    {
        foreach (var log in _logs)
        {
            log.Dispose();
        }
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private string KeyPath => Path.Combine(_directory, "keys");

    private (Database, AuditLog) Open(AuditOptions? options = null)
    {
        var database = new Database(Path.Combine(_directory, "test.db"));
        var log = new AuditLog(database, KeyDirectory.Open(KeyPath), _time, options ?? new AuditOptions { CheckpointEvery = 1000 });
        _logs.Add(log);
        return (database, log);
    }

    private static void Fill(AuditLog log, int count)
    {
        for (var i = 0; i < count; i++)
        {
            log.Append("officer-" + i, "officer", "visit.create", "visit/v-" + i, "ok");
        }
    }

    private static void Execute(Database database, string sql)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>What an attacker without the key can do: rewrite every row from FROM on with plain SHA-256 links, renumbered.</summary>
    private static void RechainWithSha256(Database database, long from)
    {
        using var connection = database.Open();
        var rows = new List<(long Seq, AuditEntry Entry, string? Prev)>();
        using (var read = connection.CreateCommand())
        {
            read.CommandText = "SELECT seq, at, actor, role, action, target, outcome, hash FROM audit ORDER BY seq";
            using var reader = read.ExecuteReader();
            while (reader.Read())
            {
                rows.Add((reader.GetInt64(0), new AuditEntry(reader.GetInt64(0),
                    DateTimeOffset.Parse(reader.GetString(1), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                    reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetString(6)), reader.GetString(7)));
            }
        }
        using (var wipe = connection.CreateCommand())
        {
            wipe.CommandText = "DELETE FROM audit WHERE seq >= $from";
            wipe.Parameters.AddWithValue("$from", from);
            wipe.ExecuteNonQuery();
        }
        var prev = rows.LastOrDefault(r => r.Seq < from).Prev ?? AuditChain.Genesis; // the kept predecessor's link
        var seq = from;
        foreach (var (_, entry, _) in rows.Where(r => r.Seq >= from))
        {
            var renumbered = entry with { Seq = seq };
            var hash = AuditChain.ComputeHash(null, prev, renumbered);
            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO audit (seq, at, actor, role, action, target, outcome, prev_hash, hash) VALUES ($s, $at, $a, $r, $ac, $t, $o, $p, $h)";
            insert.Parameters.AddWithValue("$s", seq);
            insert.Parameters.AddWithValue("$at", entry.At.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
            insert.Parameters.AddWithValue("$a", entry.Actor);
            insert.Parameters.AddWithValue("$r", entry.Role);
            insert.Parameters.AddWithValue("$ac", entry.Action);
            insert.Parameters.AddWithValue("$t", entry.Target);
            insert.Parameters.AddWithValue("$o", entry.Outcome);
            insert.Parameters.AddWithValue("$p", prev);
            insert.Parameters.AddWithValue("$h", hash);
            insert.ExecuteNonQuery();
            prev = hash;
            seq++;
        }
    }

    [Fact]
    public void An_untouched_chain_verifies()
    {
        var (_, log) = Open();
        Fill(log, 5);
        var result = log.Verify();
        Assert.True(result.Ok, result.Problem);
        Assert.Equal(5, result.Entries);
        Assert.Null(result.FirstBadEntry);
    }

    [Fact]
    public void An_edited_row_is_named_as_the_first_bad_entry()
    {
        var (database, log) = Open();
        Fill(log, 6);
        Execute(database, "UPDATE audit SET outcome = 'refused' WHERE seq = 4");
        var result = log.Verify();
        Assert.False(result.Ok);
        Assert.Equal(4, result.FirstBadEntry);
    }

    [Fact]
    public void A_deleted_row_breaks_the_chain_where_it_was()
    {
        var (database, log) = Open();
        Fill(log, 6);
        Execute(database, "DELETE FROM audit WHERE seq = 3");
        Assert.Equal(3, log.Verify().FirstBadEntry);
    }

    [Fact]
    public void A_row_given_a_recomputed_plain_sha256_is_caught_at_that_row()
    {
        var (database, log) = Open();
        Fill(log, 4);
        // An editor without the key recomputes the row's link the old way (plain SHA-256): it is not the HMAC.
        var entry = log.Query(null, null, null, null).Single(e => e.Seq == 2) with { Actor = "someone-else" };
        string prev;
        using (var connection = database.Open())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT prev_hash FROM audit WHERE seq = 2";
            prev = (string)command.ExecuteScalar()!;
        }
        var forged = AuditChain.ComputeHash(null, prev, entry);
        Execute(database, $"UPDATE audit SET actor = 'someone-else', hash = '{forged}' WHERE seq = 2");
        Assert.Equal(2, log.Verify().FirstBadEntry);
    }

    [Fact]
    public void Deleting_a_row_and_rechaining_the_rest_with_plain_sha256_is_caught_at_the_deleted_row()
    {
        var (database, log) = Open();
        Fill(log, 8);
        log.WriteCheckpoint("test");
        Execute(database, "DELETE FROM audit WHERE seq = 5");
        RechainWithSha256(database, 5);
        var (_, restarted) = Open();
        var result = restarted.Verify();
        Assert.False(result.Ok);
        Assert.Equal(5, result.FirstBadEntry);
    }

    [Fact]
    public void Dropping_the_newest_rows_is_caught_after_a_restart_by_the_checkpoint()
    {
        var (database, log) = Open();
        Fill(log, 10);
        log.Close(); // the shutdown checkpoint names entry 10
        Execute(database, "DELETE FROM audit WHERE seq >= 7");
        var (_, restarted) = Open();
        var result = restarted.Verify();
        Assert.False(result.Ok);
        Assert.Equal(7, result.FirstBadEntry);
        Assert.Equal(10, result.Checkpoint);
        Assert.Contains("gone", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_newest_rows_are_caught_while_the_writer_runs()
    {
        var (database, log) = Open();
        Fill(log, 5);
        Execute(database, "DELETE FROM audit WHERE seq >= 4");
        var result = log.Verify();
        Assert.False(result.Ok);
        Assert.Equal(4, result.FirstBadEntry);
    }

    [Fact]
    public void Rows_appended_after_a_truncation_do_not_hide_it()
    {
        var (database, log) = Open();
        Fill(log, 6);
        log.Close();
        Execute(database, "DELETE FROM audit WHERE seq >= 4");
        var (_, restarted) = Open();
        Fill(restarted, 5); // the server goes on from entry 3: entries 4 to 8 are new and differ from the checkpoint's entry 6
        var result = restarted.Verify();
        Assert.False(result.Ok);
        Assert.Equal(6, result.FirstBadEntry);
    }

    [Fact]
    public void Checkpoints_are_written_every_n_entries()
    {
        var (_, log) = Open(new AuditOptions { CheckpointEvery = 3 });
        Fill(log, 7);
        var lines = File.ReadAllLines(log.CheckpointPath);
        Assert.Equal(3, lines.Length); // the key's first line, then every third entry
        Assert.Contains("\"seq\":3", lines[1], StringComparison.Ordinal);
        Assert.Contains("\"seq\":6", lines[2], StringComparison.Ordinal);
        Assert.Equal(6, log.Verify().Checkpoint);
    }

    [Fact]
    public void An_edited_checkpoint_line_is_reported()
    {
        var (_, log) = Open();
        Fill(log, 4);
        log.WriteCheckpoint("test");
        var line = File.ReadAllText(log.CheckpointPath).Replace("\"seq\":4", "\"seq\":2", StringComparison.Ordinal);
        File.WriteAllText(log.CheckpointPath, line);
        var result = log.Verify();
        Assert.False(result.Ok);
        Assert.Contains("checkpoint line 2", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_checkpoint_file_is_reported()
    {
        var (_, log) = Open();
        Fill(log, 3);
        log.WriteCheckpoint("test");
        File.Delete(log.CheckpointPath);
        var result = log.Verify();
        Assert.False(result.Ok);
        Assert.Contains("missing", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void The_chain_continues_across_a_restart()
    {
        var (_, log) = Open();
        Fill(log, 3);
        log.Close();
        var (_, reopened) = Open();
        Assert.Equal(0, reopened.AdoptedLegacyRows);
        reopened.Append("admin", "admin", "audit.verify", "audit", "ok");
        var result = reopened.Verify();
        Assert.True(result.Ok, result.Problem);
        Assert.Equal(4, result.Entries);
    }

    [Fact]
    public void The_head_names_the_newest_entry()
    {
        var (_, log) = Open();
        Assert.Equal(new AuditHead(0, AuditChain.Genesis), log.CurrentHead());
        Fill(log, 2);
        var head = log.CurrentHead();
        Assert.Equal(2, head.Seq);
        Assert.Equal(64, head.Hash.Length);
        Assert.NotEqual(AuditChain.Genesis, head.Hash);
    }

    [Fact]
    public void Identical_refusals_within_the_window_become_the_first_entry_and_one_more_with_a_count()
    {
        var (_, log) = Open(new AuditOptions { CoalesceWindow = TimeSpan.FromSeconds(10), CheckpointEvery = 1000 });
        for (var i = 0; i < 500; i++)
        {
            log.Append("v1", "visitor", "http.get", "/api/audit", "forbidden: role");
            _time.Advance(TimeSpan.FromMilliseconds(10));
        }
        // The first is written at once, before the window closes.
        Assert.Equal(1, log.CurrentHead().Seq);
        log.Append("v2", "visitor", "http.get", "/api/audit", "forbidden: role"); // another actor: its own entry and window
        _time.Advance(TimeSpan.FromSeconds(10));
        log.FlushExpired();
        var entries = log.Query(null, null, null, null);
        Assert.Equal([1, 1, 499], entries.Select(e => e.Count));
        Assert.Equal(["v1", "v2", "v1"], entries.Select(e => e.Actor));
        Assert.Equal(499, log.Coalesced);
        Assert.True(log.Verify().Ok);
    }

    [Fact]
    public void A_refusal_after_the_window_is_written_at_once_and_opens_a_new_window()
    {
        var (_, log) = Open(new AuditOptions { CoalesceWindow = TimeSpan.FromSeconds(10), CheckpointEvery = 1000 });
        log.Append("v1", "visitor", "visit.join", "visit/a", "refused: token is for another visit");
        log.Append("v1", "visitor", "visit.join", "visit/a", "refused: token is for another visit");
        log.Append("o1", "officer", "visit.create", "visit/b", "ok");
        _time.Advance(TimeSpan.FromSeconds(11));
        log.Append("v1", "visitor", "visit.join", "visit/a", "refused: token is for another visit");
        var entries = log.Query(null, null, null, null);
        Assert.Equal([1, 1, 1, 1], entries.Select(e => e.Count));
        Assert.Equal(["v1", "o1", "v1", "v1"], entries.Select(e => e.Actor));
        Assert.Equal(1, log.Coalesced);
    }

    [Fact]
    public void Successful_entries_are_never_coalesced()
    {
        var (_, log) = Open(new AuditOptions { CoalesceWindow = TimeSpan.FromSeconds(10), CheckpointEvery = 1000 });
        for (var i = 0; i < 3; i++)
        {
            log.Append("a", "admin", "audit.read", "audit", "ok: 1 entries");
        }
        Assert.Equal(3, log.Query(null, null, null, null).Count);
    }

    [Fact]
    public void A_count_edited_in_the_database_breaks_the_chain()
    {
        var (database, log) = Open();
        for (var i = 0; i < 5; i++)
        {
            log.Append("v1", "visitor", "http.get", "/api/audit", "forbidden: role");
        }
        Fill(log, 2);
        log.FlushExpired();
        Assert.True(log.Verify().Ok);
        Execute(database, "UPDATE audit SET count = count + 1 WHERE seq = 1");
        Assert.Equal(1, log.Verify().FirstBadEntry);
    }

    [Fact]
    public void Unkeyed_rows_of_an_older_server_are_adopted_once_and_stay_protected()
    {
        var database = new Database(Path.Combine(_directory, "test.db"));
        string prev = AuditChain.Genesis;
        for (var seq = 1; seq <= 3; seq++)
        {
            var entry = new AuditEntry(seq, new DateTimeOffset(2026, 1, 1, 0, 0, seq, TimeSpan.Zero), "old", "admin", "visit.create", "visit/x", "ok");
            var hash = AuditChain.ComputeHash(null, prev, entry);
            Execute(database, $"INSERT INTO audit (seq, at, actor, role, action, target, outcome, prev_hash, hash) VALUES ({seq}, '2026-01-01T00:00:0{seq}.0000000Z', 'old', 'admin', 'visit.create', 'visit/x', 'ok', '{prev}', '{hash}')");
            prev = hash;
        }
        var (_, log) = Open();
        Assert.Equal(3, log.AdoptedLegacyRows);
        Fill(log, 2);
        Assert.True(log.Verify().Ok, log.Verify().Problem);
        var (_, reopened) = Open();
        Assert.Equal(0, reopened.AdoptedLegacyRows);
        Execute(database, "UPDATE audit SET actor = 'edited' WHERE seq = 2");
        Assert.Equal(2, reopened.Verify().FirstBadEntry);
    }

    [Fact]
    public void Query_filters_by_actor_and_visit()
    {
        var (_, log) = Open();
        Fill(log, 3);
        log.Append("officer-9", "officer", "visit.join", "visit/v-1/legs/abc", "ok");
        Assert.Single(log.Query(null, null, "officer-1", null));
        Assert.Equal(2, log.Query(null, null, null, "v-1").Count);
        Assert.Empty(log.Query(null, null, null, "v-"));
    }

    [Fact]
    public void The_database_the_key_and_the_checkpoints_are_owner_only()
    {
        var (database, log) = Open();
        Fill(log, 1);
        log.Close();
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        const UnixFileMode rw = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(rw, File.GetUnixFileMode(database.Path));
        Assert.Equal(rw, File.GetUnixFileMode(Path.Combine(KeyPath, AuditLog.KeyFileName)));
        Assert.Equal(rw, File.GetUnixFileMode(log.CheckpointPath));
        Assert.Equal(rw | UnixFileMode.UserExecute, File.GetUnixFileMode(KeyPath));
    }

    private sealed class ManualTime : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 12, 3, 8, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
