using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace MediaServer.Auth;

/// <summary>
/// The HS256 key that signs every bearer token, made once and kept in {DataDirectory}/keys/jwt-signing.key (base64, 32 bytes,
/// owner-only permissions). The server and the <c>token</c> command read the same file.
/// </summary>
public sealed class SigningKeys
{
    public const string FileName = "jwt-signing.key";

    public SigningKeys(string dataDirectory)
    {
        var keysDirectory = Path.Combine(dataDirectory, "keys");
        Directory.CreateDirectory(keysDirectory);
        var path = Path.Combine(keysDirectory, FileName);
        JwtKey = new SymmetricSecurityKey(LoadOrCreate(path)) { KeyId = "jwt-1" };
    }

    public SymmetricSecurityKey JwtKey { get; }

    private static byte[] LoadOrCreate(string path)
    {
        if (File.Exists(path))
        {
            var existing = Convert.FromBase64String(File.ReadAllText(path).Trim());
            if (existing.Length < 32)
            {
                throw new InvalidOperationException($"The signing key in {path} is shorter than 32 bytes; remove it to have a new one made.");
            }
            return existing;
        }
        var key = RandomNumberGenerator.GetBytes(32);
        var temp = path + ".tmp";
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var stream = new FileStream(temp, fileOptions))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(Convert.ToBase64String(key));
        }
        try
        {
            // Two processes starting at once (server and CLI) must agree on one key: the first rename wins.
            File.Move(temp, path, overwrite: false);
        }
        catch (IOException)
        {
            File.Delete(temp);
            return Convert.FromBase64String(File.ReadAllText(path).Trim());
        }
        return key;
    }
}
