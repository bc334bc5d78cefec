using System.Text.Json;
using MediaServer.Storage;
using Microsoft.Extensions.Configuration;

namespace MediaServer.Hosting.Cli;

/// <summary>
/// <c>verify-audit [--json]</c>: checks the audit chain of the configured data directory against the key and the signed
/// checkpoints in the configured key directory, as the server does at start and on /api/audit/verify — e.g. on a stopped
/// server or a copy. Exit 0 when intact, 1 when not (the first bad entry and the problem printed), 2 when the database or the
/// audit key is missing. It makes no key and writes no checkpoint.
/// </summary>
public static class AuditVerifyCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var json = args.Contains("--json");
        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine([.. args.Where(a => a != "--json")])
            .Build();
        var options = configuration.GetSection(MediaServerOptions.SectionName).Get<MediaServerOptions>() ?? new MediaServerOptions();
        var databasePath = Path.Combine(options.ResolveDataDirectory(), "mediaserver.db");
        var keyDirectory = options.ResolveKeyDirectory();
        if (!File.Exists(databasePath))
        {
            error.WriteLine($"verify-audit: no database at {databasePath}");
            return 2;
        }
        if (!File.Exists(Path.Combine(keyDirectory, AuditLog.KeyFileName)))
        {
            error.WriteLine($"verify-audit: no audit key at {Path.Combine(keyDirectory, AuditLog.KeyFileName)} (MediaServer:KeyDirectory); without it nothing can be checked");
            return 2;
        }
        using var audit = new AuditLog(new Database(databasePath), KeyDirectory.Open(keyDirectory), TimeProvider.System, options.Audit);
        var result = audit.Verify();
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(result, Json));
        }
        else
        {
            output.WriteLine($"entries     {result.Entries}");
            output.WriteLine($"checkpoint  {result.Checkpoint}");
            if (result.FirstBadEntry is { } bad)
            {
                output.WriteLine($"first bad   {bad}");
            }
            if (result.Problem is { } problem)
            {
                output.WriteLine("problem     " + problem);
            }
            output.WriteLine(result.Ok ? "OK: the audit chain verifies" : "FAILED: the audit chain does not verify");
        }
        return result.Ok ? 0 : 1;
    }
}
