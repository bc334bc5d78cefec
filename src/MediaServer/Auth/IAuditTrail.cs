namespace MediaServer.Auth;

/// <summary>
/// Where every action and refusal is written down with who did it: the keyed, hash-chained audit log
/// (docs/audit-log.md) implements it. The API, the visit lifecycle and the recorder write through this and never see
/// how or where the entries are kept.
/// </summary>
public interface IAuditTrail
{
    /// <param name="actor">The token's subject.</param>
    /// <param name="role">The token's role.</param>
    /// <param name="action">What was attempted, such as <c>visit.join</c>.</param>
    /// <param name="target">What it was attempted on, such as <c>visit/v1/legs/l1</c>.</param>
    /// <param name="outcome"><c>ok</c>, <c>ok: …</c> or <c>refused: …</c>.</param>
    void Append(string actor, string role, string action, string target, string outcome);
}
