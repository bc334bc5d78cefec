using System.Security.Claims;
using MediaServer.Auth;
using MediaServer.Visits;

namespace MediaServer.Api;

/// <summary>
/// One request's audit entries: who (the token's subject and role), what action, on what target. Every endpoint writes its
/// refusals and its success through one of these, so each entry names the caller the same way.
/// </summary>
public readonly record struct AuditScope(IAuditLog Trail, ClaimsPrincipal User, string Action, string Target)
{
    /// <summary>Writes <c>refused: {reason}</c>.</summary>
    public void Refused(string reason) => Write("refused: " + reason);

    /// <summary>Writes <c>ok</c>, or <c>ok: {detail}</c>, on <see cref="Target"/> or on the resource the request made.</summary>
    public void Ok(string? detail = null, string? target = null) => Write(detail is null ? "ok" : "ok: " + detail, target);

    /// <summary>Writes an outcome as it is.</summary>
    public void Write(string outcome, string? target = null) =>
        Trail.Append(User.Subject(), User.Role(), Action, target ?? Target, outcome);
}

public static class AuditTrailExtensions
{
    public static AuditScope For(this IAuditLog trail, ClaimsPrincipal user, string action, string target) => new(trail, user, action, target);
}
