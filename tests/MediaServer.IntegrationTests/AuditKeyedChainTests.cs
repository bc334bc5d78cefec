using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MediaServer.Testing;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests;

/// <summary>
/// The audit chain is keyed (HMAC with a key outside the data directory) and pinned by signed checkpoints beside the key: someone
/// who can write the database while the server is stopped deletes a row, re-chains with plain SHA-256, or drops the newest rows,
/// and the restarted server says so — in its log, in /healthz and /metrics, and through /api/audit/verify, naming the first bad
/// entry — while it keeps serving.
/// </summary>
public sealed class AuditKeyedChainTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string> Settings = new()
    {
        // Only the start and shutdown checkpoints cover the newest rows: the shutdown one is what catches truncation.
        ["MediaServer__Audit__CheckpointEvery"] = "1000",
    };

    [Theory]
    [InlineData("none")]
    [InlineData("delete")]
    [InlineData("rechain")]
    [InlineData("truncate")]
    [InlineData("delete+rechain+truncate")]
    public async Task Tampering_with_the_stopped_servers_database_is_reported_at_the_next_start_and_by_verify(string attack)
    {
        var server = await ServerProcess.StartAsync(output, null, Settings);
        string root;
        long expectedFirstBad;
        try
        {
            var admin = AdminToken(server);
            var visit = await VisitScenario.CreateAsync(server, visitors: 2);
            await visit.GetAsync();
            for (var i = 0; i < 3; i++)
            {
                await server.Api.GetAuditAsync(admin);
            }
            var entries = await server.Api.GetAuditAsync(admin);
            var last = entries.Max(e => e.Seq);
            Assert.True(last >= 6, $"expected at least 6 audited actions, got {last}");
            var intact = await server.Api.VerifyAuditAsync(admin);
            Assert.True(intact.Ok, $"an untouched log failed verification: {intact}");
            root = server.RootDirectory;
            await server.StopGracefullyAsync();

            var mid = last / 2;
            expectedFirstBad = attack switch
            {
                "none" => 0,
                "truncate" => last - 1,
                _ => mid,
            };
            await TamperAsync(server.DatabasePath, attack, mid, last);

            // The offline check on the stopped server's directories says the same as the server will.
            var cli = await ProcessRunner.RunAsync("dotnet", [RepoLayout.ServerDll, "verify-audit"], TimeSpan.FromSeconds(30),
                new Dictionary<string, string>
                {
                    ["MediaServer__DataDirectory"] = server.DataDirectory,
                    ["MediaServer__KeyDirectory"] = server.KeyDirectory,
                }, Path.GetDirectoryName(RepoLayout.ServerDll));
            output.WriteLine($"verify-audit: {cli}");
            Assert.Equal(attack == "none" ? 0 : 1, cli.ExitCode);
            if (attack != "none")
            {
                Assert.Contains($"first bad   {expectedFirstBad}", cli.StdoutText, StringComparison.Ordinal);
            }
        }
        finally
        {
            await server.DisposeAsync();
        }

        await using var restarted = await ServerProcess.StartAsync(output, root, Settings);
        restarted.KeepRootDirectory = false;
        var log = string.Join('\n', restarted.Process.Output.Snapshot());
        using var http = new HttpClient { BaseAddress = restarted.BaseAddress };
        var health = await http.GetStringAsync(new Uri("healthz", UriKind.Relative));
        var metrics = await restarted.Api.GetMetricsAsync();
        var verify = await restarted.Api.VerifyAuditAsync(AdminToken(restarted));
        output.WriteLine($"{attack}: healthz {health}; verify {verify}");

        if (attack == "none")
        {
            Assert.Contains("Audit chain intact", log, StringComparison.Ordinal);
            Assert.Equal("""{"status":"ok","audit":"intact"}""", health);
            Assert.Equal(1, metrics.Value("mediaserver_audit_chain_intact"));
            Assert.True(verify.Ok, verify.ToString());
            return;
        }
        Assert.Contains($"AUDIT CHAIN BROKEN at entry {expectedFirstBad}:", log, StringComparison.Ordinal);
        Assert.Equal("""{"status":"degraded","audit":"broken"}""", health);
        Assert.Equal(0, metrics.Value("mediaserver_audit_chain_intact"));
        Assert.False(verify.Ok, $"{attack} went unnoticed: {verify}");
        Assert.Equal(expectedFirstBad, verify.FirstBadEntry);
        Assert.False(string.IsNullOrEmpty(verify.Problem));
        // Still serving: a broken audit chain alerts, it does not stop visits.
        await VisitScenario.CreateAsync(restarted, visitors: 1);
    }

    [Fact]
    public async Task The_keys_live_in_the_key_directory_owner_only_and_the_data_directory_holds_none()
    {
        await using var server = await ServerProcess.StartAsync(output);
        await VisitScenario.CreateAsync(server, visitors: 1);
        var keyFiles = Directory.GetFiles(server.KeyDirectory).Select(Path.GetFileName).ToHashSet();
        output.WriteLine("key directory: " + string.Join(", ", keyFiles));
        foreach (var expected in new[] { "jwt-signing.key", "audit-hmac.key", "audit-checkpoints.jsonl", "recording-signing.pem", "dtls-cert.pem" })
        {
            Assert.Contains(expected, keyFiles);
        }
        var inData = Directory.GetFiles(server.DataDirectory, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".key", StringComparison.Ordinal) || f.EndsWith(".pem", StringComparison.Ordinal) || f.Contains("checkpoint", StringComparison.Ordinal))
            .ToList();
        Assert.True(inData.Count == 0, "keys inside the data directory: " + string.Join(", ", inData));
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        const UnixFileMode rw = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        const UnixFileMode rwx = rw | UnixFileMode.UserExecute;
        Assert.Equal(rwx, File.GetUnixFileMode(server.KeyDirectory));
        Assert.Equal(rwx, File.GetUnixFileMode(server.DataDirectory));
        foreach (var file in Directory.GetFiles(server.KeyDirectory))
        {
            Assert.True(File.GetUnixFileMode(file) == rw, $"{file} is {File.GetUnixFileMode(file)}");
        }
        foreach (var file in Directory.GetFiles(server.DataDirectory, "mediaserver.db*"))
        {
            Assert.True(File.GetUnixFileMode(file) == rw, $"{file} is {File.GetUnixFileMode(file)}");
        }
    }

    [Fact]
    public async Task Keys_an_older_server_left_in_the_data_directory_are_moved_and_tokens_signed_with_them_still_work()
    {
        var root = Path.Combine(Path.GetTempPath(), "mediaserver-it", Guid.NewGuid().ToString("n")[..12]);
        var legacy = Path.Combine(root, "data", "keys");
        Directory.CreateDirectory(legacy);
        var key = RandomNumberGenerator.GetBytes(32);
        await File.WriteAllTextAsync(Path.Combine(legacy, "jwt-signing.key"), Convert.ToBase64String(key));

        await using var server = await ServerProcess.StartAsync(output, root, null);
        Assert.False(Directory.Exists(legacy), "data/keys is still there");
        Assert.Equal(key, server.ReadSigningKey());
        var log = string.Join('\n', server.Process.Output.Snapshot());
        Assert.Contains("moved " + Path.Combine(legacy, "jwt-signing.key"), log, StringComparison.Ordinal);
        var now = DateTimeOffset.UtcNow;
        var admin = Hs256Token.Sign(key, "admin", "ops", null, now.AddMinutes(-1), now.AddHours(1));
        Assert.True((await server.Api.VerifyAuditAsync(admin)).Ok);
    }

    internal static string AdminToken(ServerProcess server)
    {
        var now = DateTimeOffset.UtcNow;
        return Hs256Token.Sign(server.ReadSigningKey(), "admin", "ops", null, now.AddMinutes(-1), now.AddHours(2));
    }

    private static async Task TamperAsync(string databasePath, string attack, long mid, long last)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadWrite, Pooling = false };
        await using var connection = new SqliteConnection(builder.ToString());
        await connection.OpenAsync();
        async Task Execute(string sql)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
        }
        if (attack.Contains("delete", StringComparison.Ordinal))
        {
            await Execute($"DELETE FROM audit WHERE seq = {mid}");
        }
        if (attack.Contains("rechain", StringComparison.Ordinal))
        {
            await RechainWithSha256Async(connection, mid);
        }
        if (attack == "truncate")
        {
            await Execute($"DELETE FROM audit WHERE seq >= {last - 1}");
        }
        else if (attack.Contains("truncate", StringComparison.Ordinal))
        {
            await Execute("DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)");
        }
    }

    /// <summary>
    /// What the old verifier accepted: every row from FROM on renumbered and re-linked with plain SHA-256 over the same
    /// length-prefixed fields, so seq and prev_hash are consistent again. Without the key, that is all an attacker can compute.
    /// </summary>
    private static async Task RechainWithSha256Async(SqliteConnection connection, long from)
    {
        var rows = new List<string[]>();
        string prev;
        await using (var read = connection.CreateCommand())
        {
            read.CommandText = "SELECT at, actor, role, action, target, outcome FROM audit WHERE seq >= $from ORDER BY seq";
            read.Parameters.AddWithValue("$from", from);
            await using var reader = await read.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add([reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5)]);
            }
        }
        await using (var head = connection.CreateCommand())
        {
            head.CommandText = "SELECT hash FROM audit WHERE seq = $prev";
            head.Parameters.AddWithValue("$prev", from - 1);
            prev = (string?)await head.ExecuteScalarAsync() ?? new string('0', 64);
        }
        await using (var wipe = connection.CreateCommand())
        {
            wipe.CommandText = "DELETE FROM audit WHERE seq >= $from";
            wipe.Parameters.AddWithValue("$from", from);
            await wipe.ExecuteNonQueryAsync();
        }
        var seq = from;
        foreach (var row in rows)
        {
            var text = new StringBuilder();
            foreach (var field in new[] { prev, seq.ToString(CultureInfo.InvariantCulture) }.Concat(row))
            {
                text.Append(field.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(field).Append('\n');
            }
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
            await using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO audit (seq, at, actor, role, action, target, outcome, prev_hash, hash) VALUES ($s, $at, $a, $r, $ac, $t, $o, $p, $h)";
            insert.Parameters.AddWithValue("$s", seq);
            insert.Parameters.AddWithValue("$at", row[0]);
            insert.Parameters.AddWithValue("$a", row[1]);
            insert.Parameters.AddWithValue("$r", row[2]);
            insert.Parameters.AddWithValue("$ac", row[3]);
            insert.Parameters.AddWithValue("$t", row[4]);
            insert.Parameters.AddWithValue("$o", row[5]);
            insert.Parameters.AddWithValue("$p", prev);
            insert.Parameters.AddWithValue("$h", hash);
            await insert.ExecuteNonQueryAsync();
            prev = hash;
            seq++;
        }
    }
}
