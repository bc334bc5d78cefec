using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace MediaServer.Testing;

public sealed class UnexpectedStatusException(string message) : Exception(message);

/// <summary>A raw answer, for tests that look at error statuses and bodies.</summary>
public sealed record ApiResponse(HttpStatusCode Status, string? ContentType, string Body, Uri? Location)
{
    public ProblemDto? Problem =>
        ContentType == "application/problem+json" || ContentType == "application/json"
            ? TryParse(Body)
            : null;

    public override string ToString() => $"HTTP {(int)Status} ({ContentType}) {Body}";

    private static ProblemDto? TryParse(string body)
    {
        try
        {
            return JsonSerializer.Deserialize<ProblemDto>(body, MediaServerApi.Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>Typed calls to the server's HTTP API; every helper checks the status the contract promises.</summary>
public sealed class MediaServerApi : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http;

    public MediaServerApi(Uri baseAddress)
        : this(new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(15) })
    {
    }

    /// <summary>Over a client of the caller's (an in-process host's); disposing the API disposes it.</summary>
    public MediaServerApi(HttpClient http)
    {
        _http = http;
    }

    /// <summary>The HTTP client the helpers send with, for calls no helper makes.</summary>
    public HttpClient Http => _http;

    public async Task<VisitDto> CreateVisitAsync(string token, CreateVisitRequest request, CancellationToken cancellation = default)
    {
        var response = await SendAsync(HttpMethod.Post, "api/visits", token, JsonContent.Create(request, options: Json), cancellation: cancellation);
        return Expect<VisitDto>(response, HttpStatusCode.Created, "POST /api/visits");
    }

    public Task<ApiResponse> MintParticipantTokenRawAsync(string token, string visitId, string participantId, CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Post, $"api/visits/{visitId}/tokens", token, JsonContent.Create(new { participant = participantId }, options: Json),
            cancellation: cancellation);

    public async Task<ParticipantTokenDto> MintParticipantTokenAsync(string token, string visitId, string participantId,
        CancellationToken cancellation = default)
    {
        var response = await MintParticipantTokenRawAsync(token, visitId, participantId, cancellation);
        return Expect<ParticipantTokenDto>(response, HttpStatusCode.Created, $"POST /api/visits/{visitId}/tokens");
    }

    /// <param name="clientInstance">The Client-Instance header (a browser page's secret); null sends none (a plain client).</param>
    /// <param name="query">Appended to the path as it is, e.g. "?rtp=symmetric".</param>
    public Task<ApiResponse> JoinRawAsync(string? token, string visitId, string body, string contentType = "application/sdp", string? clientInstance = null,
        string query = "", CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Post, $"api/visits/{visitId}/join{query}", token, new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue(contentType)),
            clientInstance, cancellation);

    public Task<ApiResponse> RosterRawAsync(string token, string visitId, string? clientInstance = null) =>
        SendAsync(HttpMethod.Get, $"api/visits/{visitId}/roster", token, content: null, clientInstance);

    public async Task<RosterDto> RosterAsync(string token, string visitId, string? clientInstance = null) =>
        Expect<RosterDto>(await RosterRawAsync(token, visitId, clientInstance), HttpStatusCode.OK, $"GET /api/visits/{visitId}/roster");

    public async Task<JoinResult> JoinAsync(string token, string visitId, string offerSdp, string? clientInstance = null,
        string query = "", CancellationToken cancellation = default)
    {
        var response = await JoinRawAsync(token, visitId, offerSdp, clientInstance: clientInstance, cancellation: cancellation, query: query);
        if (response.Status != HttpStatusCode.Created)
        {
            throw new UnexpectedStatusException($"POST /api/visits/{visitId}/join: expected 201, got {response}\noffer:\n{offerSdp}");
        }

        if (response.ContentType != "application/sdp")
        {
            throw new UnexpectedStatusException($"join answered 201 with Content-Type {response.ContentType}, expected application/sdp");
        }

        var location = response.Location?.ToString()
            ?? throw new UnexpectedStatusException("join answered 201 without a Location header");
        return new JoinResult(response.Body, location);
    }

    public Task<ApiResponse> TapRawAsync(string? token, string visitId, string body, string query = "") =>
        SendAsync(HttpMethod.Post, $"api/visits/{visitId}/taps{query}", token, new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/sdp")));

    /// <summary>An officer's tap (WHEP-style): 201 with the SDP answer and the tap's Location.</summary>
    public async Task<JoinResult> TapAsync(string token, string visitId, string offerSdp)
    {
        var response = await TapRawAsync(token, visitId, offerSdp);
        if (response.Status != HttpStatusCode.Created || response.ContentType != "application/sdp" || response.Location is null)
        {
            throw new UnexpectedStatusException($"POST /api/visits/{visitId}/taps: expected 201 application/sdp with a Location, got {response}");
        }
        return new JoinResult(response.Body, response.Location.ToString());
    }

    public Task<ApiResponse> FlagRawAsync(string token, string visitId, string? note) =>
        SendAsync(HttpMethod.Post, $"api/visits/{visitId}/flags", token, JsonContent.Create(new { note }, options: Json));

    public async Task<FlagDto> FlagAsync(string token, string visitId, string note)
    {
        var response = await FlagRawAsync(token, visitId, note);
        return Expect<FlagDto>(response, HttpStatusCode.Created, $"POST /api/visits/{visitId}/flags");
    }

    public Task<ApiResponse> LeaveRawAsync(string token, string location, string? clientInstance = null, CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Delete, location.TrimStart('/'), token, content: null, clientInstance, cancellation);

    /// <summary>PUT {leg}/devices: the party says whether its microphone and camera are on.</summary>
    public Task<ApiResponse> SetDevicesRawAsync(string token, string location, bool microphone, bool camera, string? clientInstance = null) =>
        SendAsync(HttpMethod.Put, location.TrimStart('/') + "/devices", token, JsonContent.Create(new { microphone, camera }, options: Json), clientInstance);

    public async Task LeaveAsync(string token, string location)
    {
        var response = await LeaveRawAsync(token, location);
        if (response.Status != HttpStatusCode.NoContent)
        {
            throw new UnexpectedStatusException($"DELETE {location}: expected 204, got {response}");
        }
    }

    public Task<ApiResponse> TerminateRawAsync(string token, string visitId, string reason) =>
        SendAsync(HttpMethod.Post, $"api/visits/{visitId}/terminate", token, JsonContent.Create(new { reason }, options: Json));

    public async Task<VisitDto> TerminateAsync(string token, string visitId, string reason)
    {
        var response = await TerminateRawAsync(token, visitId, reason);
        return Expect<VisitDto>(response, HttpStatusCode.OK, $"POST /api/visits/{visitId}/terminate");
    }

    public async Task<VisitDto> GetVisitAsync(string token, string visitId)
    {
        var response = await SendAsync(HttpMethod.Get, $"api/visits/{visitId}", token);
        return Expect<VisitDto>(response, HttpStatusCode.OK, $"GET /api/visits/{visitId}");
    }

    public async Task<TimelineDto> GetTimelineAsync(string token, string visitId)
    {
        var response = await SendAsync(HttpMethod.Get, $"api/visits/{visitId}/timeline", token);
        return Expect<TimelineDto>(response, HttpStatusCode.OK, $"GET /api/visits/{visitId}/timeline");
    }

    public async Task<VisitSummaryDto> GetSummaryAsync(string participantToken, string visitId)
    {
        var response = await SendAsync(HttpMethod.Get, $"api/visits/{visitId}/summary", participantToken);
        return Expect<VisitSummaryDto>(response, HttpStatusCode.OK, $"GET /api/visits/{visitId}/summary");
    }

    /// <summary>The staff token <see cref="GetMetricsAsync"/> sends (/metrics refuses anonymous callers); the harness sets it.</summary>
    public string? MetricsToken { get; set; }

    public Task<MetricsSnapshot> GetMetricsAsync() => GetMetricsAsync(CancellationToken.None);

    public async Task<MetricsSnapshot> GetMetricsAsync(CancellationToken cancellation)
    {
        var response = await SendAsync(HttpMethod.Get, "metrics", MetricsToken, cancellation: cancellation);
        if (response.Status != HttpStatusCode.OK)
        {
            throw new UnexpectedStatusException($"GET /metrics: expected 200, got {response}");
        }

        return MetricsSnapshot.Parse(response.Body);
    }

    public async Task<IReadOnlyList<AuditEntryDto>> GetAuditAsync(string token)
    {
        var response = await SendAsync(HttpMethod.Get, "api/audit", token);
        return Expect<List<AuditEntryDto>>(response, HttpStatusCode.OK, "GET /api/audit");
    }

    public async Task<AuditVerifyDto> VerifyAuditAsync(string token)
    {
        var response = await SendAsync(HttpMethod.Get, "api/audit/verify", token);
        return Expect<AuditVerifyDto>(response, HttpStatusCode.OK, "GET /api/audit/verify");
    }

    public async Task<ApiResponse> SendAsync(HttpMethod method, string relativePath, string? token, HttpContent? content = null, string? clientInstance = null,
        CancellationToken cancellation = default)
    {
        using var request = new HttpRequestMessage(method, new Uri(relativePath, UriKind.RelativeOrAbsolute)) { Content = content };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (clientInstance is not null)
        {
            request.Headers.TryAddWithoutValidation("Client-Instance", clientInstance);
        }

        using var response = await _http.SendAsync(request, cancellation);
        var body = await response.Content.ReadAsStringAsync(cancellation);
        return new ApiResponse(response.StatusCode, response.Content.Headers.ContentType?.MediaType, body, response.Headers.Location);
    }

    public void Dispose() => _http.Dispose();

    private static T Expect<T>(ApiResponse response, HttpStatusCode expected, string what)
    {
        if (response.Status != expected)
        {
            throw new UnexpectedStatusException($"{what}: expected {(int)expected}, got {response}");
        }

        try
        {
            return JsonSerializer.Deserialize<T>(response.Body, Json)
                ?? throw new UnexpectedStatusException($"{what}: empty JSON body");
        }
        catch (JsonException e)
        {
            throw new UnexpectedStatusException($"{what}: body does not match the contract ({e.Message}): {response.Body}");
        }
    }
}
