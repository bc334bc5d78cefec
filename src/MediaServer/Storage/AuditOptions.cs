using System.ComponentModel.DataAnnotations;

namespace MediaServer.Storage;

public sealed class AuditOptions
{
    /// <summary>A signed checkpoint (sequence, head) is written to the key directory and the log after this many entries, and at shutdown.</summary>
    [Range(1, 1_000_000)]
    public int CheckpointEvery { get; set; } = 100;

    /// <summary>Identical refusals (same actor, role, action, target, outcome) within this window become one entry with a count; 0 turns it off.</summary>
    public TimeSpan CoalesceWindow { get; set; } = TimeSpan.FromSeconds(10);
}
