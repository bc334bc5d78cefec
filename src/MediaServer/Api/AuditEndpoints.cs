using System.Security.Claims;
using MediaServer.Auth;
using MediaServer.Visits;

namespace MediaServer.Api;

/// <summary>The keyed, hash-chained audit log (docs/audit-log.md).</summary>
public static class AuditEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/audit", Query).RequireAuthorization(Policies.Admin).WithTags("Audit")
            .WithName("QueryAudit").WithSummary("Audit entries by time, actor or visit (admin).");
        app.MapGet("/api/audit/verify", Verify).RequireAuthorization(Policies.Admin).WithTags("Audit")
            .WithName("VerifyAudit").WithSummary("Check the whole chain against its key and checkpoints (admin).");
        app.MapGet("/api/audit/head", (IAuditLog audit) => Results.Ok(audit.CurrentHead())).RequireAuthorization(Policies.Admin).WithTags("Audit")
            .WithName("AuditHead").WithSummary("The chain's last sequence number and hash (admin).");
    }

    private static IResult Query(DateTimeOffset? from, DateTimeOffset? to, string? actor, string? visit, ClaimsPrincipal user, IAuditLog audit)
    {
        var entries = audit.Query(from, to, actor, visit);
        audit.Append(user.Subject(), user.Role(), "audit.read", "audit", $"ok: {entries.Count} entries");
        return Results.Ok(entries);
    }

    private static IResult Verify(ClaimsPrincipal user, IAuditLog audit)
    {
        // Verify first, so the entry recording this check is not part of what it checked.
        var result = audit.Verify();
        audit.Append(user.Subject(), user.Role(), "audit.verify", "audit",
            result.Ok ? "ok" : $"chain broken at {result.FirstBadEntry?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}: {result.Problem}");
        return Results.Ok(result);
    }
}
