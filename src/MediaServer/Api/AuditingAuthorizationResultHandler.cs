using MediaServer.Auth;
using MediaServer.Visits;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace MediaServer.Api;

/// <summary>
/// Writes a refused request of an authenticated caller (wrong role) into the audit log, then lets the default handler answer
/// 403. Unauthenticated requests (401) are counted in /metrics but not audited: they carry no identity, and writing each one
/// would let anyone flood the audit log.
/// </summary>
public sealed class AuditingAuthorizationResultHandler(IAuditLog audit, HttpMetrics metrics) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden)
        {
            var user = context.User;
            var path = context.Request.Path.Value ?? "";
            audit.Append(user.Subject(), user.Role(), "http." + context.Request.Method.ToLowerInvariant(), path, "forbidden: role");
            var detail = HttpMethods.IsDelete(context.Request.Method) && path.EndsWith("/hold", StringComparison.Ordinal)
                ? "Only an admin may release a legal hold."
                : $"A token with the role '{user.Role()}' may not {context.Request.Method} {path}.";
            await ApiResults.Forbidden(detail).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        else if (authorizeResult.Challenged)
        {
            metrics.CountUnauthorized();
        }
        await _default.HandleAsync(next, context, policy, authorizeResult).ConfigureAwait(false);
    }
}

public sealed class HttpMetrics
{
    private long _unauthorized;

    public long Unauthorized => Volatile.Read(ref _unauthorized);

    public void CountUnauthorized() => Interlocked.Increment(ref _unauthorized);
}
