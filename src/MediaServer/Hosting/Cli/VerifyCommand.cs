using System.Security.Cryptography;
using System.Text.Json;
using MediaServer.Recording.Manifest;

namespace MediaServer.Hosting.Cli;

/// <summary>
/// <c>verify FOLDER (--key PUBLIC-KEY.pem | --key-id FINGERPRINT) [--json]</c>: checks an exported recording offline — no server,
/// no database. The signature counts only against a key the verifier trusts: <c>--key</c> names a PEM obtained from the facility
/// (GET /api/recordings/public-key), <c>--key-id</c> the key's fingerprint (SHA-256 of its SubjectPublicKeyInfo, which the server
/// logs at start and serves in the same place); the folder's own public-key.pem is used only when its fingerprint is the pinned
/// one. Without either, every other check still runs, but the command says plainly that the signature was not checked against a
/// trusted key: anyone can sign a forged manifest with a key of their own and put that key beside it.
/// Exit codes: 0 everything verifies against the pinned key; 1 something does not verify; 2 bad usage; 3 no pinned key.
/// </summary>
public static class VerifyCommand
{
    public const string NoPinnedKey = "no pinned key: the signature was not checked against a trusted key";

    public const int ExitOk = 0;
    public const int ExitFailed = 1;
    public const int ExitUsage = 2;
    public const int ExitNoPinnedKey = 3;

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        string? folder = null, keyPath = null, keyId = null;
        var json = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--key" when i + 1 < args.Length: keyPath = args[++i]; break;
                case "--key-id" when i + 1 < args.Length: keyId = NormalizeKeyId(args[++i]); break;
                case "--json": json = true; break;
                default:
                    if (folder is null && !args[i].StartsWith("--", StringComparison.Ordinal))
                    {
                        folder = args[i];
                        break;
                    }
                    error.WriteLine($"verify: unexpected argument '{args[i]}'");
                    return Usage(error);
            }
        }
        if (folder is null || !Directory.Exists(folder))
        {
            error.WriteLine(folder is null ? "verify: name the recording folder" : $"verify: no folder '{folder}'");
            return Usage(error);
        }
        if (keyId is { Length: not 64 })
        {
            error.WriteLine("verify: --key-id takes the key's SHA-256 fingerprint: 64 hex digits (colons allowed)");
            return Usage(error);
        }

        // The key to check the signature with: --key, else the folder's own key (trusted only if --key-id pins it).
        var pinned = keyPath is not null || keyId is not null;
        var usedPath = keyPath ?? Path.Combine(folder, RecordingManifest.PublicKeyFileName);
        using var key = ECDsa.Create();
        var haveKey = false;
        if (File.Exists(usedPath))
        {
            try
            {
                key.ImportFromPem(File.ReadAllText(usedPath));
                haveKey = true;
            }
            catch (Exception ex) when (ex is ArgumentException or CryptographicException)
            {
                if (keyPath is not null)
                {
                    error.WriteLine($"verify: '{keyPath}' is not an EC public key in PEM: {ex.Message}");
                    return ExitUsage;
                }
            }
        }
        else if (keyPath is not null)
        {
            error.WriteLine($"verify: no public key at '{keyPath}'");
            return ExitUsage;
        }
        if (!haveKey)
        {
            // Nothing to check a signature with (no --key, no usable key in the folder): a throwaway key, so the other checks
            // still run and the signature is reported as not verifying.
            key.GenerateKey(ECCurve.NamedCurves.nistP256);
        }

        var report = RecordingVerifier.Verify(folder, key);
        var problems = new List<string>(report.Problems);
        if (keyId is not null && !string.Equals(report.KeyId, keyId, StringComparison.Ordinal))
        {
            problems.Insert(0, haveKey
                ? $"key: the key used is {report.KeyId}, not the pinned key {keyId} (the signature proves nothing about the pinned key)"
                : $"key: the folder holds no public key to compare with the pinned key {keyId}");
        }
        if (!pinned)
        {
            problems.Insert(0, NoPinnedKey);
        }
        var ok = report.Ok && problems.Count == report.Problems.Count;
        var final = report with { Ok = ok, SignatureValid = report.SignatureValid && pinned && ok, Problems = problems };

        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(final, RecordingManifest.Json));
        }
        else
        {
            output.WriteLine($"key        {final.KeyId}{(pinned ? "" : " (from the folder, not pinned)")}");
            output.WriteLine($"journal    {final.JournalSha256 ?? "(missing)"}");
            output.WriteLine($"media      {final.MediaSha256 ?? "(none)"}");
            output.WriteLine($"signature  {(!pinned ? "NOT CHECKED against a trusted key" : final.SignatureValid ? "valid" : "INVALID")}");
            output.WriteLine($"chain      {(final.ChainValid ? "valid" : "INVALID")}");
            output.WriteLine($"gaps       {final.Gaps.Count}");
            foreach (var problem in final.Problems)
            {
                output.WriteLine("problem    " + problem);
            }
            output.WriteLine(final.Ok ? "OK: the recording verifies"
                : !pinned && report.Ok ? "NOT VERIFIED: " + NoPinnedKey
                : "FAILED: the recording does not verify");
        }
        if (!pinned)
        {
            error.WriteLine("verify: " + NoPinnedKey + " (pass --key PUBLIC-KEY.pem or --key-id FINGERPRINT; GET /api/recordings/public-key)");
            return report.Ok ? ExitNoPinnedKey : ExitFailed;
        }
        return final.Ok ? ExitOk : ExitFailed;
    }

    /// <summary>Lower-case hex without separators ("AB:CD..." and "abcd..." name the same key).</summary>
    public static string NormalizeKeyId(string text) => text.Replace(":", "", StringComparison.Ordinal).Trim().ToLowerInvariant();

    private static int Usage(TextWriter error)
    {
        error.WriteLine("usage: MediaServer verify FOLDER (--key PUBLIC-KEY.pem | --key-id SHA256-FINGERPRINT) [--json]");
        return ExitUsage;
    }
}
