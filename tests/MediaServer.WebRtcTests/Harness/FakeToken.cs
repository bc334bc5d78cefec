using System.Text;
using System.Text.Json;

namespace MediaServer.WebRtcTests.Harness;

/// <summary>A JWT-shaped string with chosen claims and a meaningless signature: enough for the page, which only reads claims.</summary>
internal static class FakeToken
{
    public static string For(string visit, string role = "visitor", string subject = "v1")
    {
        var header = Encode(JsonSerializer.Serialize(new { alg = "HS256", typ = "JWT" }));
        var payload = Encode(JsonSerializer.Serialize(new { sub = subject, role, visit, iss = "mediaserver", aud = "mediaserver" }));
        return $"{header}.{payload}.c2lnbmF0dXJl";
    }

    // RFC 7515 §2: base64url without padding.
    private static string Encode(string json) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
