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

    /// <summary>
    /// Reads the key the server made in <paramref name="keyDirectory"/>, for the <c>token</c> command; never makes one. False with
    /// the reason when there is none or it is not a key.
    /// </summary>
    public static bool TryRead(string keyDirectory, out byte[] secret, out string problem)
    {
        secret = [];
        var path = Path.Combine(keyDirectory, FileName);
        if (!File.Exists(path))
        {
            problem = $"no signing key at {path}";
            return false;
        }
        try
        {
            secret = Convert.FromBase64String(File.ReadAllText(path).Trim());
        }
        catch (FormatException)
        {
            problem = $"{path} is not a base64 key";
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            problem = $"{path} cannot be read by this user (it is the server's, mode 0600): run as the server's user";
            return false;
        }
        if (secret.Length != SecretBytes)
        {
            problem = $"{path} holds {secret.Length} bytes, not {SecretBytes}";
            return false;
        }
        problem = "";
        return true;
    }
}
