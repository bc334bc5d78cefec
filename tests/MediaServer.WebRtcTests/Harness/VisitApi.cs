using System.Net;
using MediaServer.Testing;

namespace MediaServer.WebRtcTests.Harness;

/// <summary>A scheduled visit as the tests use it: ids and one join token per participant.</summary>
internal sealed record TestVisit(string Id, string KioskId, IReadOnlyList<string> VisitorIds, string KioskToken, IReadOnlyList<string> VisitorTokens);

internal sealed record JoinReply(HttpStatusCode Status, string Body, string? Location);

/// <summary>The visit calls these tests make, as an admin (tokens from the server's CLI), over the shared API client.</summary>
internal sealed class VisitApi(ServerProcess server)
{
    private string? _adminToken;
    private string? _officerToken;

    private MediaServerApi Api => server.Api;

    private async Task<string> AdminAsync() => _adminToken ??= await server.MintTokenAsync("admin", "ops");

    private async Task<string> OfficerAsync() => _officerToken ??= await server.MintTokenAsync("officer", "officer-1");

    /// <summary>
    /// A visit with join tokens for everyone: open now (started a minute ago), or from <paramref name="start"/>; it ends in an
    /// hour, or at <paramref name="end"/>.
    /// </summary>
    public async Task<TestVisit> CreateVisitAsync(int visitors = 1, DateTimeOffset? start = null, DateTimeOffset? end = null)
    {
        var admin = await AdminAsync();
        var now = DateTimeOffset.UtcNow;
        var visit = await Api.CreateVisitAsync(admin, CreateVisitRequest.For(visitors, start ?? now.AddMinutes(-1), end ?? now.AddHours(1)));
        var visitorIds = Enumerable.Range(1, visitors).Select(n => $"v{n}").ToList();
        var kioskToken = (await Api.MintParticipantTokenAsync(admin, visit.Id, "i1")).Token;
        var visitorTokens = new List<string>();
        foreach (var visitor in visitorIds)
        {
            visitorTokens.Add((await Api.MintParticipantTokenAsync(admin, visit.Id, visitor)).Token);
        }
        return new TestVisit(visit.Id, "i1", visitorIds, kioskToken, visitorTokens);
    }

    public async Task<JoinReply> JoinAsync(string visitId, string token, string offer)
    {
        var response = await Api.JoinRawAsync(token, visitId, offer);
        return new JoinReply(response.Status, response.Body, response.Location?.OriginalString);
    }

    public async Task<HttpStatusCode> LeaveAsync(string location, string token) => (await Api.LeaveRawAsync(token, location)).Status;

    public async Task TerminateAsync(string visitId, string reason) => await Api.TerminateAsync(await OfficerAsync(), visitId, reason);

    /// <summary>The visit's timeline as an officer reads it.</summary>
    public async Task<TimelineDto> TimelineAsync(string visitId) => await Api.GetTimelineAsync(await OfficerAsync(), visitId);

    /// <summary>GET /api/visits/{id} as JSON text (live connection stats per participant), for test logs.</summary>
    public async Task<string> DescribeAsync(string visitId) =>
        (await Api.SendAsync(HttpMethod.Get, $"api/visits/{visitId}", await AdminAsync())).Body;
}
