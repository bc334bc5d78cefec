namespace MediaServer.Visits;

/// <summary>One audit entry. <see cref="Count"/> &gt; 1: that many identical refusals within the coalescing window, from <see cref="At"/>.</summary>
public sealed record AuditEntry(long Seq, DateTimeOffset At, string Actor, string Role, string Action, string Target, string Outcome, int Count = 1);

/// <param name="Ok">The chain recomputes with the key and agrees with every signed checkpoint.</param>
/// <param name="Entries">Rows read.</param>
/// <param name="FirstBadEntry">The first sequence number that is edited, missing or beyond what is left (truncation).</param>
/// <param name="Checkpoint">The newest signed checkpoint's sequence (0: none).</param>
/// <param name="Problem">What is wrong, in words; null when Ok.</param>
public sealed record AuditVerification(bool Ok, long Entries, long? FirstBadEntry, long Checkpoint = 0, string? Problem = null);

/// <summary>The newest entry: its sequence number and its HMAC (hex). Seq 0 and the genesis value for an empty log.</summary>
public sealed record AuditHead(long Seq, string Hash);
