using MediaServer.Storage;
using Microsoft.Data.Sqlite;

namespace MediaServer.Tests.Storage;

public sealed class AuditLogTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("audit-test-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private (Database, AuditLog) Open()
    {
        var database = new Database(Path.Combine(_directory, "test.db"));
        return (database, new AuditLog(database, TimeProvider.System));
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

    [Fact]
    public void An_untouched_chain_verifies()
    {
        var (_, log) = Open();
        Fill(log, 5);
        Assert.Equal(new AuditVerification(true, 5, null), log.Verify());
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
    public void A_row_rewritten_with_a_recomputed_own_hash_is_still_caught_by_the_next_link()
    {
        var (database, log) = Open();
        Fill(log, 4);
        // An editor who recomputes the row's own hash still breaks the successor's prev_hash.
        var entry = log.Query(null, null, null, null).Single(e => e.Seq == 2) with { Actor = "someone-else" };
        string prev;
        using (var connection = database.Open())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT prev_hash FROM audit WHERE seq = 2";
            prev = (string)command.ExecuteScalar()!;
        }
        var forged = AuditLog.ComputeHash(prev, entry);
        Execute(database, $"UPDATE audit SET actor = 'someone-else', hash = '{forged}' WHERE seq = 2");
        Assert.Equal(3, log.Verify().FirstBadEntry);
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
    public void The_chain_continues_across_a_restart()
    {
        var (_, log) = Open();
        Fill(log, 3);
        var (_, reopened) = Open();
        reopened.Append("admin", "admin", "audit.verify", "audit", "ok");
        Assert.Equal(new AuditVerification(true, 4, null), reopened.Verify());
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
}
