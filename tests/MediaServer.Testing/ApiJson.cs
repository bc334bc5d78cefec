using System.Net;
using System.Text.Json;

namespace MediaServer.Testing;

/// <summary>GETs whose answer a test reads as JSON (a recording, its verify report, a visit): one place for the status check.</summary>
public static class ApiJson
{
    /// <summary>
    /// The JSON of <c>GET path</c>; throws, naming the answer, unless it is 200. With <paramref name="allowMissing"/>, a 404
    /// is <c>default</c> (the resource is not there yet).
    /// </summary>
    public static async Task<JsonElement> GetJsonAsync(this MediaServerApi api, string token, string path, bool allowMissing = false)
    {
        var response = await api.SendAsync(HttpMethod.Get, path, token);
        if (allowMissing && response.Status == HttpStatusCode.NotFound)
        {
            return default;
        }
        if (response.Status != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET {path}: {response}");
        }
        return JsonDocument.Parse(response.Body).RootElement.Clone();
    }

    /// <summary>The JSON of <c>GET path</c>, or <c>default</c> for any other answer than 200 (a server that is restarting).</summary>
    public static async Task<JsonElement> TryGetJsonAsync(this MediaServerApi api, string token, string path)
    {
        var response = await api.SendAsync(HttpMethod.Get, path, token);
        return response.Status == HttpStatusCode.OK ? JsonDocument.Parse(response.Body).RootElement.Clone() : default;
    }
}
