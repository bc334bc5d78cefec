namespace MediaServer.Visits;

/// <summary>
/// The tamper-evident audit log (docs/audit-log.md) as the domain and the API use it: visits, recordings and requests append
/// what was done, by whom, to what, with the outcome. Storage implements it (a keyed hash chain in SQLite with signed
/// checkpoints beside the key).
/// </summary>
public interface IAuditLog
{
    /// <summary>Appends one entry. Identical refusals within the coalescing window are counted into one entry.</summary>
    AuditEntry Append(string actor, string role, string action, string target, string outcome);

    /// <summary>The newest written entry (sequence and HMAC): what a recording's manifest names as the audit head at signing.</summary>
    AuditHead CurrentHead();

    /// <summary>Entries in order, every filter optional; <paramref name="visit"/> matches targets that name the visit first.</summary>
    IReadOnlyList<AuditEntry> Query(DateTimeOffset? from, DateTimeOffset? to, string? actor, string? visit, int limit = 1000);

    /// <summary>Recomputes the chain and checks it against every signed checkpoint.</summary>
    AuditVerification Verify();

    /// <summary>The outcome of the newest verification; null before the first.</summary>
    AuditVerification? LastVerification { get; }

    /// <summary>Refusals folded into an earlier entry's count instead of written as rows of their own.</summary>
    long Coalesced { get; }
}
