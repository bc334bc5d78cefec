namespace MediaServer.Storage;

/// <summary>
/// At start: logs what opening the key directory did, adopts an older server's unkeyed rows once, verifies the whole chain against
/// the signed checkpoints and writes a start checkpoint. A broken chain does not stop the server (visits go on): it is logged as
/// critical, shown by /healthz ("audit": "broken") and /metrics (mediaserver_audit_chain_intact 0) until an admin looks.
/// At shutdown: writes the open coalescing windows and a final checkpoint. Registered first, so it stops last.
/// </summary>
public sealed partial class AuditStartup(AuditLog audit, KeyDirectory keys, ILogger<AuditStartup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        LogKeyDirectory(logger, keys.Path);
        foreach (var note in keys.Notes)
        {
            LogKeyNote(logger, note);
        }
        if (audit.AdoptedLegacyRows > 0)
        {
            LogLegacyAdopted(logger, audit.AdoptedLegacyRows);
        }
        var result = audit.Verify();
        if (result.Ok)
        {
            LogIntact(logger, result.Entries, result.Checkpoint, audit.CheckpointPath);
            audit.WriteCheckpoint("start");
        }
        else
        {
            LogBroken(logger, result.FirstBadEntry, result.Problem, result.Entries);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        audit.Close();
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 9010, Level = LogLevel.Information, Message = "Keys and audit checkpoints in {Directory}")]
    private static partial void LogKeyDirectory(ILogger logger, string directory);

    [LoggerMessage(EventId = 9011, Level = LogLevel.Warning, Message = "Key directory: {Note}")]
    private static partial void LogKeyNote(ILogger logger, string note);

    [LoggerMessage(EventId = 9012, Level = LogLevel.Warning,
        Message = "Audit entries 1 to {Seq} were written without a key (older server); a signed checkpoint now pins them, new entries are keyed")]
    private static partial void LogLegacyAdopted(ILogger logger, long seq);

    [LoggerMessage(EventId = 9013, Level = LogLevel.Information,
        Message = "Audit chain intact: {Entries} entries, newest checkpoint {Checkpoint} ({Path})")]
    private static partial void LogIntact(ILogger logger, long entries, long checkpoint, string path);

    [LoggerMessage(EventId = 9014, Level = LogLevel.Critical,
        Message = "AUDIT CHAIN BROKEN at entry {FirstBad}: {Problem} ({Entries} entries read). The server keeps running; /healthz and /metrics show it until resolved")]
    private static partial void LogBroken(ILogger logger, long? firstBad, string? problem, long entries);
}
