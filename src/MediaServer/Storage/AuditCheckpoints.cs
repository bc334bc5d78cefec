using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MediaServer.Storage;

/// <summary>One line of the checkpoint file (docs/audit-log.md).</summary>
internal sealed record AuditCheckpoint(long Seq, string Head, string At, string Reason, bool Legacy, string Mac);

/// <summary>
/// The audit log's signed checkpoints (sequence, head) in {KeyDirectory}/audit-checkpoints.jsonl, one JSON line each, MACed
/// with the checkpoint key (docs/audit-log.md): written by one O_APPEND write, read back and checked line by line.
/// </summary>
internal sealed partial class AuditCheckpoints(string path, byte[] key, ILogger logger)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault,
    };

    public string Path => path;

    public bool Exists => File.Exists(path);

    /// <summary>Signs the checkpoint and appends it; flushed to disk before it counts.</summary>
    public void Append(AuditCheckpoint checkpoint)
    {
        var signed = checkpoint with { Mac = Mac(checkpoint) };
        var line = JsonSerializer.Serialize(signed, Json) + "\n";
        // One write with O_APPEND: lines from two processes never interleave. Flushed to disk before it counts.
        using (var stream = new FileStream(path, KeyDirectory.CreateOptions(FileMode.Append, FileAccess.Write)))
        {
            stream.Write(Encoding.UTF8.GetBytes(line));
            stream.Flush(flushToDisk: true);
        }
        LogCheckpoint(logger, signed.Seq, signed.Head, signed.Reason, signed.Mac);
    }

    /// <summary>Every line that verifies; <paramref name="problem"/> names the first that does not, or a missing file when the log has entries.</summary>
    public List<AuditCheckpoint> Read(long headSeq, out string? problem)
    {
        problem = null;
        var result = new List<AuditCheckpoint>();
        if (!File.Exists(path))
        {
            if (headSeq > 0)
            {
                problem = $"the checkpoint file {path} is missing";
            }
            return result;
        }
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }
            AuditCheckpoint? checkpoint = null;
            try
            {
                checkpoint = JsonSerializer.Deserialize<AuditCheckpoint>(line, Json);
            }
            catch (JsonException)
            {
            }
            if (checkpoint is null || checkpoint.Head is null || checkpoint.Mac is null || checkpoint.At is null || checkpoint.Reason is null
                || !AuditChain.FixedTimeEquals(Mac(checkpoint), checkpoint.Mac))
            {
                problem ??= $"checkpoint line {number} does not verify with the checkpoint key (edited or forged)";
                continue;
            }
            result.Add(checkpoint);
        }
        return result;
    }

    private string Mac(AuditCheckpoint checkpoint)
    {
        var text = new StringBuilder();
        AuditChain.Field(text, "mediaserver-audit-checkpoint-v1");
        AuditChain.Field(text, checkpoint.Seq.ToString(CultureInfo.InvariantCulture));
        AuditChain.Field(text, checkpoint.Head);
        AuditChain.Field(text, checkpoint.At);
        AuditChain.Field(text, checkpoint.Reason);
        AuditChain.Field(text, checkpoint.Legacy ? "legacy" : "keyed");
        return Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(text.ToString())));
    }

    [LoggerMessage(EventId = 9001, Level = LogLevel.Information,
        Message = "Audit checkpoint: seq {Seq} head {Head} ({Reason}); mac {Mac}")]
    private static partial void LogCheckpoint(ILogger logger, long seq, string head, string reason, string mac);
}
