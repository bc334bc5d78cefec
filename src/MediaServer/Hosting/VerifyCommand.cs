using System.Security.Cryptography;
using System.Text.Json;
using MediaServer.Recording;

namespace MediaServer.Hosting;

/// <summary>
/// <c>verify FOLDER [--key PUBLIC-KEY.pem] [--json]</c>: checks an exported recording offline — no server, no database. Exit 0 when
/// everything verifies, 1 when something does not (each problem printed, naming the file), 2 for bad usage.
/// The key defaults to FOLDER/public-key.pem; a key that travels with the evidence proves nothing by itself, so the command
/// prints its id for comparison with the one the facility publishes (GET /api/recordings/public-key), or takes --key.
/// </summary>
public static class VerifyCommand
{
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        string? folder = null, keyPath = null;
        var json = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--key" when i + 1 < args.Length: keyPath = args[++i]; break;
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
        keyPath ??= Path.Combine(folder, RecordingManifest.PublicKeyFileName);
        if (!File.Exists(keyPath))
        {
            error.WriteLine($"verify: no public key at '{keyPath}' (pass --key)");
            return 2;
        }
        using var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(keyPath));
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            error.WriteLine($"verify: '{keyPath}' is not an EC public key in PEM: {ex.Message}");
            return 2;
        }
        var report = RecordingVerifier.Verify(folder, key);
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(report, RecordingManifest.Json));
        }
        else
        {
            output.WriteLine($"key        {report.KeyId}");
            output.WriteLine($"journal    {report.JournalSha256 ?? "(missing)"}");
            output.WriteLine($"media      {report.MediaSha256 ?? "(none)"}");
            output.WriteLine($"signature  {(report.SignatureValid ? "valid" : "INVALID")}");
            output.WriteLine($"chain      {(report.ChainValid ? "valid" : "INVALID")}");
            output.WriteLine($"gaps       {report.Gaps.Count}");
            foreach (var problem in report.Problems)
            {
                output.WriteLine("problem    " + problem);
            }
            output.WriteLine(report.Ok ? "OK: the recording verifies" : "FAILED: the recording does not verify");
        }
        return report.Ok ? 0 : 1;
    }

    private static int Usage(TextWriter error)
    {
        error.WriteLine("usage: MediaServer verify FOLDER [--key PUBLIC-KEY.pem] [--json]");
        return 2;
    }
}
