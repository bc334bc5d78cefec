using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace MediaServer.LoadGen;

internal sealed record CreatedVisit(string Id, string KioskId, IReadOnlyList<string> VisitorIds);

internal sealed record JoinedLeg(Uri Location, string Answer);

/// <summary>The few calls of the HTTP contract (docs/api.md) a load run needs.</summary>
internal sealed class ApiClient(Uri baseUrl) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) };

    public async Task<CreatedVisit> CreateVisitAsync(string officerToken, int index, int visitors, DateTimeOffset start, DateTimeOffset end,
        CancellationToken cancellation)
    {
        var body = new JsonObject
        {
            ["inmate"] = new JsonObject { ["id"] = $"inmate{index}", ["name"] = $"Inmate {index}" },
            ["visitors"] = new JsonArray(Enumerable.Range(0, visitors)
                .Select(v => (JsonNode)new JsonObject { ["id"] = $"visitor{index}-{v}", ["name"] = $"Visitor {index}-{v}" }).ToArray()),
            ["start"] = start.ToString("O", CultureInfo.InvariantCulture),
            ["end"] = end.ToString("O", CultureInfo.InvariantCulture),
            ["privileged"] = false,
            ["flagged"] = false,
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/visits", UriKind.Relative))
        {
            Content = JsonContent.Create(body),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", officerToken);
        using var response = await _http.SendAsync(request, cancellation).ConfigureAwait(false);
        var json = await ExpectAsync(response, HttpStatusCode.Created, "create a visit", cancellation).ConfigureAwait(false);
        var visit = JsonNode.Parse(json) ?? throw new InvalidOperationException("Empty visit body.");
        var id = visit["id"]!.GetValue<string>();
        string? kiosk = null;
        var visitorIds = new List<string>();
        foreach (var participant in visit["participants"]!.AsArray())
        {
            var participantId = participant!["id"]!.GetValue<string>();
            if (participant["role"]!.GetValue<string>() == "kiosk")
            {
                kiosk = participantId;
            }
            else
            {
                visitorIds.Add(participantId);
            }
        }
        return new CreatedVisit(id, kiosk ?? throw new InvalidOperationException("The visit has no kiosk participant."), visitorIds);
    }

    public async Task<string> MintParticipantTokenAsync(string officerToken, string visitId, string participant, CancellationToken cancellation)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/api/visits/{visitId}/tokens", UriKind.Relative))
        {
            Content = JsonContent.Create(new JsonObject { ["participant"] = participant }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", officerToken);
        using var response = await _http.SendAsync(request, cancellation).ConfigureAwait(false);
        var json = await ExpectAsync(response, HttpStatusCode.Created, "mint a participant token", cancellation).ConfigureAwait(false);
        return JsonNode.Parse(json)!["token"]!.GetValue<string>();
    }

    public async Task<JoinedLeg> JoinAsync(string token, string visitId, string offer, CancellationToken cancellation)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/api/visits/{visitId}/join", UriKind.Relative))
        {
            Content = new StringContent(offer, Encoding.UTF8, "application/sdp"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request, cancellation).ConfigureAwait(false);
        var answer = await ExpectAsync(response, HttpStatusCode.Created, "join", cancellation).ConfigureAwait(false);
        var location = response.Headers.Location ?? throw new InvalidOperationException("The join answer has no Location.");
        return new JoinedLeg(location, answer);
    }

    public async Task LeaveAsync(string token, Uri location, CancellationToken cancellation)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, location);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request, cancellation).ConfigureAwait(false);
    }

    /// <summary>The unlabelled and labelled samples of /metrics (staff only: sent with the officer token), keyed by their full name (labels included).</summary>
    public async Task<Dictionary<string, double>> MetricsAsync(string staffToken, CancellationToken cancellation)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/metrics", UriKind.Relative));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", staffToken);
            using var response = await _http.SendAsync(request, cancellation).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            var text = await response.Content.ReadAsStringAsync(cancellation).ConfigureAwait(false);
            foreach (var line in text.Split('\n'))
            {
                if (line.Length == 0 || line[0] == '#')
                {
                    continue;
                }
                var space = line.LastIndexOf(' ');
                if (space > 0 && double.TryParse(line.AsSpan(space + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                {
                    result[line[..space]] = value;
                }
            }
        }
        catch (HttpRequestException)
        {
        }
        return result;
    }

    private static async Task<string> ExpectAsync(HttpResponseMessage response, HttpStatusCode expected, string what, CancellationToken cancellation)
    {
        var body = await response.Content.ReadAsStringAsync(cancellation).ConfigureAwait(false);
        if (response.StatusCode != expected)
        {
            throw new InvalidOperationException($"Could not {what}: {(int)response.StatusCode} {response.StatusCode}: {body}");
        }
        return body;
    }

    public void Dispose() => _http.Dispose();
}
