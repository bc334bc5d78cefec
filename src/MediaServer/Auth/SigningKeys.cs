using Microsoft.IdentityModel.Tokens;

namespace MediaServer.Auth;

/// <summary>
/// The HS256 key that signs every bearer token, made once and kept in {KeyDirectory}/jwt-signing.key (base64, 32 bytes,
/// owner-only permissions). The server and the <c>token</c> command read the same file; whoever composes them hands the
/// secret in.
/// </summary>
public sealed class SigningKeys
{
    public const string FileName = "jwt-signing.key";

    /// <summary>Length of the secret in <see cref="FileName"/>.</summary>
    public const int SecretBytes = 32;

    public SigningKeys(byte[] secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        JwtKey = new SymmetricSecurityKey(secret) { KeyId = "jwt-1" };
    }

    public SymmetricSecurityKey JwtKey { get; }
}
