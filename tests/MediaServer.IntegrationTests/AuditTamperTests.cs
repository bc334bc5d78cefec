using MediaServer.Testing;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests;

/// <summary>The audit log is a hash chain: editing one stored row behind the server's back is found, at that row.</summary>
public sealed class AuditTamperTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("outcome")]
    [InlineData("actor")]
    public async Task Editing_one_audit_row_in_the_database_fails_verification_at_that_row(string column)
    {
        await using var server = await ServerProcess.StartAsync(output);
        var admin = await server.MintTokenAsync("admin", "ops");
        // Audited calls: a visit, two participant tokens, a look at it.
        var visit = await VisitScenario.CreateAsync(server, visitors: 1);
        await visit.GetAsync();

        var entries = await server.Api.GetAuditAsync(admin);
        var intact = await server.Api.VerifyAuditAsync(admin);
        output.WriteLine($"intact: {intact}; entries: {string.Join("; ", entries.Select(e => $"{e.Seq} {e.Actor} {e.Action} {e.Target} {e.Outcome}"))}");
        Assert.True(intact.Ok, $"Verification of an untouched log failed: {intact}");
        Assert.Null(intact.FirstBadEntry);
        Assert.True(entries.Count >= 3, $"Expected the visit, its tokens and reads to be audited; got {entries.Count} entries");
        // Listed before verifying, and reading the log is itself audited: verify sees at least as many.
        Assert.True(intact.Entries >= entries.Count, $"verify counted {intact.Entries} entries, the log listed {entries.Count} before it");

        // A row in the middle, so the entries after it are still there to be checked against it.
        var victim = entries.OrderBy(e => e.Seq).ElementAt(entries.Count / 2).Seq;
        var changed = await TamperAsync(server.DatabasePath, column, victim);
        Assert.Equal(1, changed);

        var tampered = await server.Api.VerifyAuditAsync(admin);
        output.WriteLine($"after editing {column} of seq {victim}: {tampered}");
        Assert.False(tampered.Ok, $"Editing {column} of seq {victim} went unnoticed: {tampered}");
        Assert.Equal(victim, tampered.FirstBadEntry);
    }

    private static async Task<int> TamperAsync(string databasePath, string column, long seq)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
            DefaultTimeout = 10, // wait out the server's own write lock rather than fail with SQLITE_BUSY
        };
        await using var connection = new SqliteConnection(builder.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = column switch
        {
            "outcome" => "UPDATE audit SET outcome = outcome || ' (edited)' WHERE seq = $seq",
            "actor" => "UPDATE audit SET actor = actor || ' (edited)' WHERE seq = $seq",
            _ => throw new ArgumentOutOfRangeException(nameof(column)),
        };
        command.Parameters.AddWithValue("$seq", seq);
        return await command.ExecuteNonQueryAsync();
    }
}
