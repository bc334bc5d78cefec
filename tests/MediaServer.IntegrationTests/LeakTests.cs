using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using MediaServer.Testing;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests;

/// <summary>
/// What the server tells whom: /metrics only to staff (its tap gauge tells a visit's parties they are being listened to),
/// /healthz in fixed words, security headers on every page and answer, a legal hold lifted only by an admin, and a flood of
/// refused requests written to the audit log as a few counted entries rather than one row each.
/// </summary>
public sealed class LeakTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Metrics_are_refused_to_anonymous_callers_and_participants_and_served_to_staff()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1);

        var anonymous = await server.Api.SendAsync(HttpMethod.Get, "metrics", token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.Status);
        Assert.DoesNotContain("mediaserver_taps", anonymous.Body, StringComparison.Ordinal);
        foreach (var participant in new[] { visit.KioskToken, visit.VisitorToken(1) })
        {
            var refused = await server.Api.SendAsync(HttpMethod.Get, "metrics", participant);
            Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
            Assert.DoesNotContain("mediaserver_taps", refused.Body, StringComparison.Ordinal);
        }
        var investigator = Token(server, "investigator", "inv-1");
        Assert.Equal(HttpStatusCode.Forbidden, (await server.Api.SendAsync(HttpMethod.Get, "metrics", investigator)).Status);

        var officer = await server.Api.SendAsync(HttpMethod.Get, "metrics", visit.OfficerToken);
        Assert.Equal(HttpStatusCode.OK, officer.Status);
        Assert.Contains("mediaserver_taps 0", officer.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Healthz_answers_fixed_text()
    {
        await using var server = await ServerProcess.StartAsync(output);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var response = await http.GetAsync(new Uri("healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"ok","audit":"intact"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Pages_and_api_answers_carry_the_security_headers()
    {
        await using var server = await ServerProcess.StartAsync(output);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        foreach (var path in new[] { "visit", "officer", "review", "visit.js", "officer.css", "common/api.js", "healthz", "api/visits", "metrics", "no-such-page" })
        {
            using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
            output.WriteLine($"{path}: {(int)response.StatusCode}\n{response.Headers}");
            var csp = Header(response, "Content-Security-Policy");
            Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
            Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
            Assert.Contains("object-src 'none'", csp, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
            Assert.Equal("DENY", Header(response, "X-Frame-Options"));
            Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
            Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
        }
    }

    [Fact]
    public async Task Only_an_admin_releases_a_legal_hold_and_an_investigators_attempt_is_audited()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var investigator = Token(server, "investigator", "inv-7");
        var admin = Token(server, "admin", "admin-1");
        const string recording = "no-such-recording";

        var release = await server.Api.SendAsync(HttpMethod.Delete, $"api/recordings/{recording}/hold", investigator);
        Assert.Equal(HttpStatusCode.Forbidden, release.Status);
        Assert.Equal("Only an admin may release a legal hold.", release.Problem?.Detail);
        // The role decides before the recording is looked up: the admin is let through (and told there is no such recording).
        var byAdmin = await server.Api.SendAsync(HttpMethod.Delete, $"api/recordings/{recording}/hold", admin);
        Assert.Equal(HttpStatusCode.NotFound, byAdmin.Status);
        // Placing a hold stays open to investigators.
        Assert.Equal(HttpStatusCode.NotFound, (await server.Api.SendAsync(HttpMethod.Post, $"api/recordings/{recording}/hold", investigator)).Status);

        var audit = await server.Api.GetAuditAsync(admin);
        Assert.Contains(audit, e => e.Actor == "inv-7" && e.Action == "http.delete" && e.Target == $"/api/recordings/{recording}/hold"
            && e.Outcome == "forbidden: role");
        Assert.Contains(audit, e => e.Actor == "admin-1" && e.Action == "recording.release" && e.Outcome == "not found");
    }

    /// <summary>
    /// One token hammering a route it may not use: with coalescing off (as before) every refusal is a row; with it on, identical
    /// refusals within the window are one row with a count, and the counts add up to exactly the refusals answered.
    /// </summary>
    [Theory]
    [InlineData("00:00:00")]
    [InlineData("00:00:02")]
    public async Task A_flood_of_refused_requests_becomes_a_few_counted_audit_entries(string window)
    {
        await using var server = await ServerProcess.StartAsync(output, null, new Dictionary<string, string>
        {
            ["MediaServer__Audit__CoalesceWindow"] = window,
        });
        var flooder = Token(server, "officer", "flooder");
        var admin = Token(server, "admin", "ops");
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var duration = TimeSpan.FromSeconds(5);
        var clock = Stopwatch.StartNew();
        var refused = 0;
        async Task Hammer()
        {
            while (clock.Elapsed < duration)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "api/audit");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", flooder);
                using var response = await http.SendAsync(request);
                Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
                Interlocked.Increment(ref refused);
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(Hammer)));
        var seconds = clock.Elapsed.TotalSeconds;

        // The admin's query closes every open window, so the counts are complete; the rows are counted in the database itself
        // (the API lists at most 1,000).
        await server.Api.GetAuditAsync(admin);
        var (rows, counted, counts) = await FlooderRowsAsync(server.DatabasePath);
        output.WriteLine($"window {window}: {refused} refusals in {seconds:0.0} s ({refused / seconds:0} /s) -> {rows} audit rows "
            + $"({rows / seconds:0.0} rows/s), counts {counts}");
        Assert.Equal(refused, counted);
        Assert.True(refused > 50, $"the flood was too small to show anything: {refused}");
        if (window == "00:00:00")
        {
            Assert.Equal(refused, rows);
        }
        else
        {
            // 5 s in windows of 2 s: each window is its first refusal plus one counted row (at most 3 windows, plus the
            // one the query may open no row for).
            Assert.True(rows <= 8, $"{rows} rows for {refused} identical refusals");
        }
        Assert.True((await server.Api.VerifyAuditAsync(admin)).Ok);
    }

    private static async Task<(long Rows, long Counted, string Counts)> FlooderRowsAsync(string databasePath)
    {
        var builder = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = Microsoft.Data.Sqlite.SqliteOpenMode.ReadOnly,
            Pooling = false,
        };
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection(builder.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count FROM audit WHERE actor = 'flooder' ORDER BY seq";
        await using var reader = await command.ExecuteReaderAsync();
        long rows = 0, counted = 0;
        var counts = new List<long>();
        while (await reader.ReadAsync())
        {
            rows++;
            counted += reader.GetInt64(0);
            if (counts.Count < 20)
            {
                counts.Add(reader.GetInt64(0));
            }
        }
        return (rows, counted, string.Join(",", counts));
    }

    private static string Token(ServerProcess server, string role, string subject)
    {
        var now = DateTimeOffset.UtcNow;
        return Hs256Token.Sign(server.ReadSigningKey(), role, subject, null, now.AddMinutes(-1), now.AddHours(1));
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(", ", values)
            : throw new Xunit.Sdk.XunitException($"no {name} header on {response.RequestMessage?.RequestUri}");
}
