using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace MediaServer.Testing;

/// <summary>
/// Signs a JWT the way the server does (RFC 7519 with JWS HS256, RFC 7515 §3.1 compact serialization), so a test can
/// make tokens the CLI will not: expired ones, or ones for claims the CLI refuses.
/// </summary>
public static class Hs256Token
{
    /// <param name="withTokenId">Carry a fresh random <c>jti</c> as the server's tokens do (false: a token from before jti).</param>
    public static string Sign(byte[] key, string role, string sub, string? visit, DateTimeOffset notBefore, DateTimeOffset expires, string issuer = "mediaserver", string audience = "mediaserver", bool withTokenId = true)
    {
        var claims = new Dictionary<string, object>
        {
            ["sub"] = sub,
            ["role"] = role,
            ["iss"] = issuer,
            ["aud"] = audience,
            ["iat"] = notBefore.ToUnixTimeSeconds(),
            ["nbf"] = notBefore.ToUnixTimeSeconds(),
            ["exp"] = expires.ToUnixTimeSeconds(),
        };
        if (visit is not null)
        {
            claims["visit"] = visit;
        }

        if (withTokenId)
        {
            claims["jti"] = Base64Url(RandomNumberGenerator.GetBytes(16));
        }

        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["alg"] = "HS256", ["typ"] = "JWT" }));
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signingInput = header + "." + payload;
        var signature = HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64Url(signature);
    }

    /// <summary>A JWT-shaped string with chosen claims and a meaningless signature: enough for a page, which only reads claims.</summary>
    public static string Unsigned(string visit, string role = "visitor", string subject = "v1")
    {
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new { alg = "HS256", typ = "JWT" }));
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new { sub = subject, role, visit, iss = "mediaserver", aud = "mediaserver" }));
        return $"{header}.{payload}.c2lnbmF0dXJl";
    }

    // RFC 7515 §2: base64url without padding.
    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
