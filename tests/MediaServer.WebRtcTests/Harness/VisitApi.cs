using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace MediaServer.WebRtcTests.Harness;

/// <summary>A scheduled visit as the tests use it: ids and one join token per participant.</summary>
internal sealed record TestVisit(string Id, string KioskId, IReadOnlyList<string> VisitorIds, string KioskToken, IReadOnlyList<string> VisitorTokens);

internal sealed record JoinResult(HttpStatusCode Status, string Body, string? Location);

/// <summary>The HTTP calls of docs/api.md that the tests need.</summary>
internal sealed class VisitApi(MediaServerProcess server)
{
    private string? _adminToken;
    private string? _officerToken;

    private async Task<string> AdminAsync() => _adminToken ??= await server.TokenAsync("admin", "ops");

    private async Task<string> OfficerAsync() => _officerToken ??= await server.TokenAsync("officer", "officer-1");

    /// <summary>A visit that is open now (started a minute ago, ends in an hour) with join tokens for everyone.</summary>
    public async Task<TestVisit> CreateVisitAsync(int visitors = 1)
    {
        var admin = await AdminAsync();
        var now = DateTimeOffset.UtcNow;
        var body = new
        {
            inmate = new { id = "i1", name = "Inmate One" },
            visitors = Enumerable.Range(1, visitors).Select(n => new { id = $"v{n}", name = $"Visitor {n}" }).ToArray(),
            start = now.AddMinutes(-1),
            end = now.AddHours(1),
            privileged = false,
            flagged = false,
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/visits") { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
        using var response = await server.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"POST /api/visits → {(int)response.StatusCode}: {text}");
        }
        var id = JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
        var visitorIds = Enumerable.Range(1, visitors).Select(n => $"v{n}").ToList();
        var kioskToken = await MintAsync(id, "i1");
        var visitorTokens = new List<string>();
        foreach (var visitor in visitorIds)
        {
            visitorTokens.Add(await MintAsync(id, visitor));
        }
        return new TestVisit(id, "i1", visitorIds, kioskToken, visitorTokens);
    }

    private async Task<string> MintAsync(string visitId, string participant)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/visits/{visitId}/tokens")
        {
            Content = JsonContent.Create(new { participant }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await AdminAsync());
        using var response = await server.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"POST /api/visits/{visitId}/tokens → {(int)response.StatusCode}: {text}");
        }
        return JsonDocument.Parse(text).RootElement.GetProperty("token").GetString()!;
    }

    public async Task<JoinResult> JoinAsync(string visitId, string token, string offer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/visits/{visitId}/join")
        {
            Content = new StringContent(offer, Encoding.UTF8, "application/sdp"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await server.Http.SendAsync(request);
        return new JoinResult(response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Location?.OriginalString);
    }

    public async Task<HttpStatusCode> LeaveAsync(string location, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, location);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await server.Http.SendAsync(request);
        return response.StatusCode;
    }

    public async Task TerminateAsync(string visitId, string reason)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/visits/{visitId}/terminate")
        {
            Content = JsonContent.Create(new { reason }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await OfficerAsync());
        using var response = await server.Http.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"terminate → {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>GET /api/visits/{id} as JSON text (live connection stats per participant), for test logs.</summary>
    public async Task<string> DescribeAsync(string visitId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/visits/{visitId}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await AdminAsync());
        using var response = await server.Http.SendAsync(request);
        return await response.Content.ReadAsStringAsync();
    }
}
