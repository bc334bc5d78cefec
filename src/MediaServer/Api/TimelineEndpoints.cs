using System.Security.Claims;
using MediaServer.Auth;
using MediaServer.Visits;
using MediaServer.Visits.Timeline;

namespace MediaServer.Api;

/// <summary>
/// A visit's timeline (docs/api.md, "Timeline"): staff read every entry and each party's totals; a participant reads its own
/// party's totals and the visit's (the family's summary when the visit ends). Both are computed from what the server observed.
/// </summary>
public static class TimelineEndpoints
{
    public static void Map(RouteGroupBuilder visits)
    {
        visits.MapGet("/{id}/timeline", Timeline)
            .RequireAuthorization(p => p.RequireAuthenticatedUser().RequireRole(Roles.Officer, Roles.Investigator, Roles.Admin))
            .WithName("GetVisitTimeline").WithSummary("The visit's timeline and each party's totals (officer, investigator, admin).");
        visits.MapGet("/{id}/summary", Summary).RequireAuthorization(Policies.Participant)
            .WithName("GetVisitSummary").WithSummary("The visit's totals and your own party's (kiosk, visitor).");
    }

    /// <summary>
    /// Staff: the entries and totals. An investigator works on recordings, and a privileged visit has none: its timeline is
    /// refused to investigators (403, audited); officers and admins see it as they see its connection figures.
    /// </summary>
    private static IResult Timeline(string id, ClaimsPrincipal user, VisitRegistry registry, VisitTimeline timeline, IAuditLog trail)
    {
        var audit = trail.For(user, "visit.timeline", "visit/" + id);
        if (registry.Get(id) is not { } visit)
        {
            return ApiResults.NotFound($"No visit '{id}'.");
        }
        if (visit.Privileged && user.Role() == Roles.Investigator)
        {
            audit.Refused("privileged visit");
            return ApiResults.Forbidden("A privileged visit is not open to investigators.");
        }
        var entries = timeline.Entries(visit);
        audit.Ok();
        return Results.Ok(TimelineDto.From(visit, entries, timeline.Summary(visit, entries)));
    }

    /// <summary>A participant of this visit: its own totals and the visit's (works after the end while the token is valid).</summary>
    private static IResult Summary(string id, ClaimsPrincipal user, VisitRegistry registry, VisitTimeline timeline)
    {
        var visit = registry.Get(id);
        if (user.VisitId() != id || visit?.FindParticipant(user.Subject()) is not { } participant)
        {
            return ApiResults.Forbidden("This token is for another visit.", ProblemTypes.WrongVisit);
        }
        var summary = timeline.Summary(visit, timeline.Entries(visit));
        var you = summary.Parties.First(p => p.Participant == participant.Id);
        return Results.Ok(VisitSummaryDto.From(visit, summary, you));
    }
}
