using System.Net;
using MediaServer.Testing;
using MediaServer.Testing.Rtp;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests.Facility;

/// <summary>
/// docs/deploy.md's "Behind nginx" layout, tried with the real nginx and the real server: a visit created and joined through the
/// proxy, the client's address as nginx forwarded it in the audit trail, and the same header sent straight to the server by
/// anyone but the proxy ignored.
/// </summary>
public sealed class ReverseProxyTests(ITestOutputHelper output)
{
    /// <summary>Where the test's "family" connects to nginx from: a loopback address that is neither the proxy's nor the default.</summary>
    private static readonly IPAddress ClientAddress = IPAddress.Parse("127.0.0.3");

    [Fact]
    public async Task Visit_through_nginx_is_audited_with_the_forwarded_client_address_and_a_direct_forwarded_header_is_ignored()
    {
        await using var server = await ServerProcess.StartAsync(output, null, new Dictionary<string, string>
        {
            ["MediaServer__Proxy__KnownProxies__0"] = NginxProxy.ProxySourceAddress,
        });
        await using var proxy = await NginxProxy.StartAsync(server.HttpPort);
        using var viaProxy = new MediaServerApi(LocalAddressClient.Create(ClientAddress, proxy.BaseAddress, acceptSelfSigned: true));
        var officer = await server.MintTokenAsync("officer", "officer-proxy");
        var admin = await server.MintTokenAsync("admin", "admin-proxy");

        var now = DateTimeOffset.UtcNow;
        var visit = await viaProxy.CreateVisitAsync(officer, CreateVisitRequest.For(1, now.AddMinutes(1), now.AddMinutes(10)));
        var kiosk = await viaProxy.MintParticipantTokenAsync(officer, visit.Id, "i1");
        var visitor = await viaProxy.MintParticipantTokenAsync(officer, visit.Id, "v1");
        await using var kioskParty = new RtpParty("kiosk", 1);
        await using var visitorParty = new RtpParty("visitor", 2);

        // Through nginx, with a forged header of the client's own: nginx overwrites it with the address it saw.
        viaProxy.Http.DefaultRequestHeaders.Add("X-Forwarded-For", "198.51.100.7");
        var joined = await viaProxy.JoinRawAsync(kiosk.Token, visit.Id, kioskParty.OfferSdp);
        Assert.True(joined.Status == HttpStatusCode.Created, $"join through nginx: {joined}\n{proxy.Log}");

        // Straight to the server (from 127.0.0.1, not the proxy's 127.0.0.2), claiming to be someone else: not believed.
        using var direct = new MediaServerApi(new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(15) });
        direct.Http.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.9");
        var directJoin = await direct.JoinRawAsync(visitor.Token, visit.Id, visitorParty.OfferSdp);
        Assert.True(directJoin.Status == HttpStatusCode.Created, $"direct join: {directJoin}");

        var joins = (await server.Api.GetAuditAsync(admin)).Where(e => e.Action == "visit.join").ToList();
        output.WriteLine(string.Join('\n', joins.Select(e => $"{e.Actor} {e.Outcome}")));
        var kioskJoin = Assert.Single(joins, e => e.Role == "kiosk");
        Assert.Contains($"from {ClientAddress}", kioskJoin.Outcome, StringComparison.Ordinal);
        var visitorJoin = Assert.Single(joins, e => e.Role == "visitor");
        Assert.Contains("from 127.0.0.1", visitorJoin.Outcome, StringComparison.Ordinal);
        Assert.DoesNotContain(joins, e => e.Outcome!.Contains("203.0.113.9", StringComparison.Ordinal)
            || e.Outcome.Contains("198.51.100.7", StringComparison.Ordinal) || e.Outcome.Contains(NginxProxy.ProxySourceAddress, StringComparison.Ordinal));
    }
}
