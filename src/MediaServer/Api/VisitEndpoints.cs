using System.Security.Claims;
using MediaServer.Auth;
using MediaServer.Hosting;
using MediaServer.Visits;
using Microsoft.Extensions.Options;

namespace MediaServer.Api;

/// <summary>
/// Visits: schedule, list, read, mint join tokens, terminate (docs/api.md, "Visits"). Legs (join, leave, roster) are in
/// <see cref="LegEndpoints"/>, an officer's taps and flags in <see cref="TapEndpoints"/>; all share one route group whose ids
/// are checked before any handler.
/// </summary>
public static class VisitEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var visits = app.MapGroup("/api/visits").WithTags("Visits");
        // Ids in the path are checked before any handler, so a megabyte "id" never reaches the store or the audit log.
        visits.AddEndpointFilter(RequestLimits.CheckRouteIds);
        visits.MapPost("", Create).RequireAuthorization(Policies.Scheduling)
            .WithName("CreateVisit").WithSummary("Schedule a visit (officer, admin, scheduler).");
        visits.MapGet("", List).RequireAuthorization(Policies.Staff)
            .WithName("ListVisits").WithSummary("Visits, live flagged ones first (officer, admin).");
        visits.MapGet("/{id}", Get).RequireAuthorization(Policies.Staff)
            .WithName("GetVisit").WithSummary("One visit with its flags (officer, admin).");
        visits.MapPost("/{id}/tokens", MintToken).RequireAuthorization(Policies.Scheduling).RequireRateLimiting(RequestLimits.MintPolicy)
            .WithName("MintJoinToken").WithSummary("A participant's join token (scheduler only for a privileged visit).");
        visits.MapPost("/{id}/terminate", Terminate).RequireAuthorization(Policies.Officer)
            .WithName("TerminateVisit").WithSummary("End a visit now (officer).");
        LegEndpoints.Map(visits);
        TapEndpoints.Map(visits);
        TimelineEndpoints.Map(visits);
    }

    // Privileged status is fixed when a visit is scheduled: no endpoint changes it, so a live privileged visit can never be
    // made tappable (issue: "a live visit cannot be switched from privileged to not").

    private static async Task<IResult> Create(HttpContext http, ClaimsPrincipal user, VisitRegistry registry, IAuditLog trail,
        TimeProvider time, IOptions<VisitOptions> visitOptions, IOptions<LimitOptions> limits)
    {
        var now = time.GetUtcNow();
        var audit = trail.For(user, "visit.create", "visit/-");
        var (request, error) = await VisitRequestReader.ReadAsync(http).ConfigureAwait(false);
        error ??= VisitRequestReader.Validate(request!, visitOptions.Value.MaxVisitors, limits.Value, now);
        if (error is not null)
        {
            audit.Refused(error);
            return ApiResults.BadRequest(error);
        }
        var visit = registry.Create(request!.Inmate, request.Visitors, request.Start, request.End, request.Privileged, request.Flagged, now);
        audit.Ok(target: "visit/" + visit.Id);
        return Results.Created($"/api/visits/{visit.Id}", VisitDto.From(visit, []));
    }

    private static IResult List(string? state, VisitRegistry registry, VisitFlags flags)
    {
        VisitState? filter = null;
        if (!string.IsNullOrEmpty(state))
        {
            if (!VisitStates.TryParse(state, out var parsed))
            {
                return ApiResults.BadRequest("state must be one of scheduled, live, ended, terminated.");
            }
            filter = parsed;
        }
        var visits = registry.List(filter)
            .OrderBy(v => v.State == VisitState.Live && v.Flagged ? 0 : v.State == VisitState.Live ? 1 : 2)
            .ThenBy(v => v.Start)
            .ToList();
        var flagsByVisit = flags.For(visits.Select(v => v.Id).ToList());
        return Results.Ok(visits.Select(v => VisitDto.From(v, flagsByVisit.GetValueOrDefault(v.Id) ?? [])).ToList());
    }

    private static IResult Get(string id, VisitRegistry registry, VisitFlags flags) =>
        registry.Get(id) is { } visit ? Results.Ok(VisitDto.From(visit, flags.For(visit))) : ApiResults.NotFound($"No visit '{id}'.");

    /// <summary>
    /// A participant's join token. For a privileged visit only the scheduler role mints one (officers and admins are refused
    /// and audited); every token carries a fresh <c>jti</c>, named in the audit entry, and is bound to the first client that
    /// joins with it.
    /// </summary>
    private static IResult MintToken(string id, TokenRequest? request, ClaimsPrincipal user, VisitRegistry registry, TokenIssuer issuer,
        IAuditLog trail, IOptions<AuthOptions> options)
    {
        var visit = registry.Get(id);
        if (visit is null)
        {
            return ApiResults.NotFound($"No visit '{id}'.");
        }
        var audit = trail.For(user, "visit.token", "visit/" + id);
        if (ParticipantTokenPolicy.Refusal(user.Role(), visit.Privileged) is { } why)
        {
            audit.Refused(why);
            return ApiResults.Forbidden(visit.Privileged
                ? "This is a privileged (attorney or clergy) visit: its join codes come only from the facility's scheduling system."
                : "This role may not issue join codes.");
        }
        var participant = string.IsNullOrEmpty(request?.Participant) ? null : visit.FindParticipant(request.Participant);
        if (participant is null)
        {
            audit.Refused("unknown participant");
            return ApiResults.BadRequest($"participant must be one of: {string.Join(", ", visit.Participants.Select(p => p.Id))}.");
        }
        if (visit.IsFinal)
        {
            return VisitOver(visit, "No tokens are issued for a visit that has ended.", 410);
        }
        var auth = options.Value;
        var role = participant.Role == PartyRole.Kiosk ? Roles.Kiosk : Roles.Visitor;
        var token = issuer.Issue(role, participant.Id, visit.Id, visit.Start - auth.JoinGrace, visit.End + auth.AfterEndGrace);
        audit.Ok("jti " + token.TokenId, $"visit/{id}/participant/{participant.Id}");
        return Results.Created($"/api/visits/{id}", new TokenResponse(token.Token, token.ValidFrom, token.ValidUntil));
    }

    private static IResult Terminate(string id, TerminateRequest? request, ClaimsPrincipal user, VisitRegistry registry, VisitLifecycle lifecycle,
        IAuditLog trail, VisitFlags flags)
    {
        var visit = registry.Get(id);
        if (visit is null)
        {
            return ApiResults.NotFound($"No visit '{id}'.");
        }
        if (!string.IsNullOrWhiteSpace(request?.Reason) && !InputRules.IsText(request.Reason, InputRules.MaxReasonLength))
        {
            return ApiResults.BadRequest($"reason may be at most {InputRules.MaxReasonLength} characters, without control characters.");
        }
        var audit = trail.For(user, "visit.terminate", "visit/" + id);
        var reason = string.IsNullOrWhiteSpace(request?.Reason) ? "terminated by an officer" : request.Reason.Trim();
        if (!lifecycle.Terminate(visit, reason))
        {
            audit.Refused("already " + VisitStates.Name(visit.State));
            return VisitOver(visit, $"The visit is already {VisitStates.Name(visit.State)}.");
        }
        audit.Ok(reason);
        return Results.Ok(VisitDto.From(visit, flags.For(visit)));
    }

    /// <summary>"Visit is over": <c>visit-terminated</c> when an officer ended it, else <c>visit-over</c>.</summary>
    internal static IResult VisitOver(Visit visit, string detail, int status = 409) =>
        ApiResults.Problem(status, visit.State == VisitState.Terminated ? ProblemTypes.VisitTerminated : ProblemTypes.VisitOver, "Visit is over", detail);
}
