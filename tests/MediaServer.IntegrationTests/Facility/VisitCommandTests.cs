using MediaServer.Testing;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests.Facility;

/// <summary>
/// <c>visit create</c> and <c>visit list</c> with the built binary against the running server: a visit scheduled from the
/// command line is there with its parties, each printed link carries a join code that joins, the calls are audited under the
/// command's user, and bad arguments or a server that is not there are one line each.
/// </summary>
public sealed class VisitCommandTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_visit_created_from_the_command_line_is_listed_and_its_links_join()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var created = await server.RunCliAsync(["visit", "create", "--inmate", "i-42=Ann Example", "--visitor", "v-1=Bo Example",
            "--visitor", "v-2=Cy Example", "--start", "now", "--minutes", "20"]);
        output.WriteLine(created.ToString());
        Assert.True(created.ExitCode == 0, created.ToString());
        var lines = created.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var visitId = lines[0].Split(' ')[1];
        Assert.StartsWith("v-", visitId, StringComparison.Ordinal);
        var links = lines.Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Equal([("kiosk", "i-42"), ("visitor", "v-1"), ("visitor", "v-2")], links.Select(l => (l[0], l[1])));

        // The link's join code joins the visit as its party.
        var visitorLink = new Uri(links[1][2]);
        Assert.Equal(server.BaseAddress.Authority, visitorLink.Authority);
        var token = Uri.UnescapeDataString(visitorLink.Query["?token=".Length..]);
        await using var party = new MediaServer.Testing.Rtp.RtpParty("visitor1", 2);
        var joined = await server.Api.JoinAsync(token, visitId, party.OfferSdp);
        Assert.Contains("/legs/", joined.Location, StringComparison.Ordinal);

        var officer = await server.MintTokenAsync("officer", "officer-1");
        var visit = await server.Api.GetVisitAsync(officer, visitId);
        Assert.Equal("Ann Example", visit.Inmate!.Name);
        Assert.InRange((visit.End - visit.Start).TotalMinutes, 19.9, 20.1);

        var listed = await server.RunCliAsync(["visit", "list"]);
        output.WriteLine(listed.StdoutText);
        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.Contains(visitId, listed.StdoutText, StringComparison.Ordinal);
        Assert.Contains("Ann Example with Bo Example, Cy Example", listed.StdoutText, StringComparison.Ordinal);

        var audit = await server.Api.GetAuditAsync(await server.MintTokenAsync("admin", "ops"));
        Assert.Contains(audit, e => e.Action == "visit.create" && e.Actor!.StartsWith("cli-", StringComparison.Ordinal) && e.Role == "scheduler");
        Assert.Equal(3, audit.Count(e => e.Action == "visit.token" && e.Actor!.StartsWith("cli-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Bad_arguments_are_one_line_each_and_exit_2()
    {
        await using var server = await ServerProcess.StartAsync(output);
        (string[] Arguments, string Said)[] cases =
        [
            (["visit", "create", "--visitor", "v-1=Bo"], "needs --inmate ID=NAME"),
            (["visit", "create", "--inmate", "i-1=A", "--visitor", "v-1=B", "--start", "tomorrow"], "--start 'tomorrow'"),
            (["visit", "create", "--inmate", "i-1=A", "--visitor", "v-1=B", "--start", "2026-12-07T14:00:00"], "with its offset"),
            (["visit", "create", "--inmate", "i-1=A", "--visitor", "v-1=B", "--minutes", "0"], "--minutes '0'"),
            (["visit", "frobnicate"], "usage: MediaServer visit create"),
            (["demo", "--minutes", "lots"], "--minutes 'lots'"),
        ];
        foreach (var (arguments, said) in cases)
        {
            var result = await server.RunCliAsync(arguments);
            Assert.True(result.ExitCode == 2, result.ToString());
            Assert.Contains(said, result.Stderr, StringComparison.Ordinal);
        }
        // Nothing was scheduled by any of them.
        var officer = await server.MintTokenAsync("officer", "officer-1");
        Assert.Equal("[]", (await server.Api.SendAsync(HttpMethod.Get, "api/visits", officer)).Body);
    }

    [Fact]
    public async Task A_server_that_refuses_or_is_not_there_is_one_line_and_exit_1()
    {
        await using var server = await ServerProcess.StartAsync(output);
        // The server refuses: a visit that ends before it starts.
        var refused = await server.RunCliAsync(["visit", "create", "--inmate", "i-1=A", "--visitor", "v-1=B", "--start", "now", "--end", "2020-01-01T00:00:00Z"]);
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.StartsWith("visit: POST /api/visits: 400 ", refused.Stderr.Trim(), StringComparison.Ordinal);
        // Nobody listens there.
        var port = PortAllocator.FreeTcpPort();
        var absent = await server.RunCliAsync(["visit", "list", "--server", $"http://127.0.0.1:{port}"], atServer: false);
        Assert.True(absent.ExitCode == 1, absent.ToString());
        Assert.Contains("did not answer", absent.Stderr, StringComparison.Ordinal);
    }
}
