using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace MediaServer.Auth;

/// <param name="TokenId">The token's <c>jti</c> (RFC 7519 §4.1.7): 128 random bits, base64url; audits name it.</param>
public sealed record IssuedToken(string Token, string TokenId, DateTimeOffset ValidFrom, DateTimeOffset ValidUntil);

/// <summary>Signs bearer tokens: staff tokens for the CLI, participant tokens scoped to one visit.</summary>
public sealed class TokenIssuer(SigningKeys keys, AuthOptions options, TimeProvider time)
{
    public const string Audience = "mediaserver";

    public IssuedToken Issue(string role, string subject, string? visitId, DateTimeOffset validFrom, DateTimeOffset validUntil)
    {
        var now = time.GetUtcNow();
        var tokenId = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16));
        var claims = new Dictionary<string, object>
        {
            [ClaimNames.Role] = role,
            [ClaimNames.Subject] = subject,
            [ClaimNames.TokenId] = tokenId,
        };
        if (visitId is not null)
        {
            claims[ClaimNames.Visit] = visitId;
        }
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = Audience,
            Claims = claims,
            IssuedAt = now.UtcDateTime,
            NotBefore = (validFrom < now ? validFrom : now).UtcDateTime,
            Expires = validUntil.UtcDateTime,
            SigningCredentials = new SigningCredentials(keys.JwtKey, SecurityAlgorithms.HmacSha256),
        };
        var token = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
        return new IssuedToken(token, tokenId, validFrom, validUntil);
    }

    public TokenValidationParameters ValidationParameters() => new()
    {
        ValidIssuer = options.Issuer,
        ValidAudience = Audience,
        IssuerSigningKey = keys.JwtKey,
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        ClockSkew = TimeSpan.Zero,
        NameClaimType = ClaimNames.Subject,
        RoleClaimType = ClaimNames.Role,
    };
}

public static class ClaimsPrincipalExtensions
{
    public static string Subject(this ClaimsPrincipal user) => user.FindFirstValue(ClaimNames.Subject) ?? "";

    public static string Role(this ClaimsPrincipal user) => user.FindFirstValue(ClaimNames.Role) ?? "";

    public static string? VisitId(this ClaimsPrincipal user) => user.FindFirstValue(ClaimNames.Visit);

    public static string? TokenId(this ClaimsPrincipal user) => user.FindFirstValue(ClaimNames.TokenId);
}
