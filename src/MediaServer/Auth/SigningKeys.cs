using MediaServer.Storage;
using Microsoft.IdentityModel.Tokens;

namespace MediaServer.Auth;

/// <summary>
/// The HS256 key that signs every bearer token, made once and kept in {KeyDirectory}/jwt-signing.key (base64, 32 bytes,
/// owner-only permissions). The server and the <c>token</c> command read the same file.
/// </summary>
public sealed class SigningKeys
{
    public const string FileName = "jwt-signing.key";

    public SigningKeys(KeyDirectory keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        JwtKey = new SymmetricSecurityKey(keys.LoadOrCreateSecret(FileName, 32, out _)) { KeyId = "jwt-1" };
    }

    public SymmetricSecurityKey JwtKey { get; }
}
