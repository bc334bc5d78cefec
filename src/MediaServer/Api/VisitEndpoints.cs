using System.Net;
using System.Security.Claims;
using System.Text;
using MediaServer.Auth;
using MediaServer.Hosting;
using MediaServer.Storage;
using MediaServer.Visits;
using Microsoft.Extensions.Options;

namespace MediaServer.Api;

/// <summary>Visits: schedule, tokens, join and leave, terminate (api.md, "Visits").</summary>
public static class VisitEndpoints
{
    /// <summary>An SDP offer larger than this is refused before parsing (the parser has its own, stricter limits).</summary>
    public const int MaxOfferBytes = 64 * 1024;

    public static void Map(IEndpointRouteBuilder app)
    {
        var visits = app.MapGroup("/api/visits");
        visits.MapPost("", Create).RequireAuthorization(Policies.Staff);
        visits.MapGet("", List).RequireAuthorization(Policies.Staff);
        visits.MapGet("/{id}", Get).RequireAuthorization(Policies.Staff);
        visits.MapPost("/{id}/tokens", MintToken).RequireAuthorization(Policies.Staff);
        visits.MapPost("/{id}/join", Join).RequireAuthorization(Policies.Participant);
        visits.MapDelete("/{id}/legs/{legId}", Leave).RequireAuthorization(Policies.Participant);
        visits.MapPost("/{id}/terminate", Terminate).RequireAuthorization(Policies.Officer);
    }

    private static IResult Create(CreateVisitRequest? request, ClaimsPrincipal user, VisitRegistry registry, AuditLog audit,
        TimeProvider time, IOptions<MediaServerOptions> options)
    {
        var now = time.GetUtcNow();
        var error = Validate(request, options.Value.Visits.MaxVisitors, now);
        if (error is not null)
        {
            audit.Append(user.Subject(), user.Role(), "visit.create", "visit/-", "refused: " + error);
            return ApiResults.BadRequest(error);
        }
        var visitors = request!.Visitors!.Select(v => new Person(v.Id!, v.Name!)).ToList();
        var visit = registry.Create(new Person(request.Inmate!.Id!, request.Inmate.Name!), visitors, request.Start!.Value, request.End!.Value,
            request.Privileged, request.Flagged, now);
        audit.Append(user.Subject(), user.Role(), "visit.create", "visit/" + visit.Id, "ok");
        return Results.Created($"/api/visits/{visit.Id}", VisitDto.From(visit));
    }

    private static string? Validate(CreateVisitRequest? request, int maxVisitors, DateTimeOffset now)
    {
        if (request is null)
        {
            return "The body must be a JSON visit: {inmate:{id,name}, visitors:[{id,name}], start, end, privileged, flagged}.";
        }
        if (string.IsNullOrWhiteSpace(request.Inmate?.Id) || string.IsNullOrWhiteSpace(request.Inmate.Name))
        {
            return "inmate.id and inmate.name are required.";
        }
        if (request.Visitors is null || request.Visitors.Count == 0 || request.Visitors.Count > maxVisitors)
        {
            return $"A visit has from 1 to {maxVisitors} visitors.";
        }
        var ids = new HashSet<string>(StringComparer.Ordinal) { request.Inmate.Id };
        foreach (var visitor in request.Visitors)
        {
            if (string.IsNullOrWhiteSpace(visitor?.Id) || string.IsNullOrWhiteSpace(visitor.Name))
            {
                return "Every visitor needs an id and a name.";
            }
            if (!ids.Add(visitor.Id))
            {
                return $"Participant id '{visitor.Id}' appears twice; ids must be unique within a visit.";
            }
        }
        if (request.Start is null || request.End is null)
        {
            return "start and end are required (ISO 8601 with offset).";
        }
        if (request.End <= request.Start)
        {
            return "end must be after start.";
        }
        if (request.End <= now)
        {
            return "end is in the past.";
        }
        return null;
    }

    private static IResult List(string? state, VisitRegistry registry)
    {
        VisitState? filter = null;
        if (!string.IsNullOrEmpty(state))
        {
            if (!VisitStore.TryParseState(state, out var parsed))
            {
                return ApiResults.BadRequest("state must be one of scheduled, live, ended, terminated.");
            }
            filter = parsed;
        }
        var list = registry.List(filter)
            .OrderBy(v => v.State == VisitState.Live && v.Flagged ? 0 : v.State == VisitState.Live ? 1 : 2)
            .ThenBy(v => v.Start)
            .Select(VisitDto.From)
            .ToList();
        return Results.Ok(list);
    }

    private static IResult Get(string id, VisitRegistry registry) =>
        registry.Get(id) is { } visit ? Results.Ok(VisitDto.From(visit)) : ApiResults.NotFound($"No visit '{id}'.");

    private static IResult MintToken(string id, TokenRequest? request, ClaimsPrincipal user, VisitRegistry registry, TokenIssuer issuer,
        AuditLog audit, IOptions<MediaServerOptions> options)
    {
        var visit = registry.Get(id);
        if (visit is null)
        {
            return ApiResults.NotFound($"No visit '{id}'.");
        }
        var participant = string.IsNullOrEmpty(request?.Participant) ? null : visit.FindParticipant(request.Participant);
        if (participant is null)
        {
            audit.Append(user.Subject(), user.Role(), "visit.token", "visit/" + id, "refused: unknown participant");
            return ApiResults.BadRequest($"participant must be one of: {string.Join(", ", visit.Participants.Select(p => p.Id))}.");
        }
        if (visit.IsFinal)
        {
            return ApiResults.Problem(410, "Visit is over", "No tokens are issued for a visit that has ended.");
        }
        var auth = options.Value.Auth;
        var role = participant.Role == PartyRole.Kiosk ? Roles.Kiosk : Roles.Visitor;
        var token = issuer.Issue(role, participant.Id, visit.Id, visit.Start - auth.JoinGrace, visit.End + auth.AfterEndGrace);
        audit.Append(user.Subject(), user.Role(), "visit.token", $"visit/{id}/participant/{participant.Id}", "ok");
        return Results.Created($"/api/visits/{id}", new TokenResponse(token.Token, token.ValidFrom, token.ValidUntil));
    }

    private static async Task<IResult> Join(string id, HttpContext http, ClaimsPrincipal user, VisitRegistry registry, VisitLifecycle lifecycle,
        AuditLog audit, IOptions<MediaServerOptions> options)
    {
        var target = "visit/" + id;
        if (user.VisitId() != id)
        {
            audit.Append(user.Subject(), user.Role(), "visit.join", target, "refused: token is for another visit");
            return ApiResults.Forbidden("This token is for another visit.");
        }
        var visit = registry.Get(id);
        var participant = visit?.FindParticipant(user.Subject());
        if (visit is null || participant is null
            || (participant.Role == PartyRole.Kiosk) != (user.Role() == Roles.Kiosk))
        {
            audit.Append(user.Subject(), user.Role(), "visit.join", target, "refused: not a participant of this visit");
            return ApiResults.Forbidden("This token does not name a participant of this visit in that role.");
        }
        var contentType = http.Request.ContentType ?? "";
        if (!contentType.StartsWith("application/sdp", StringComparison.OrdinalIgnoreCase))
        {
            return ApiResults.Problem(415, "Unsupported media type", "The offer must be sent as application/sdp.");
        }
        var body = await ReadBodyAsync(http.Request, MaxOfferBytes).ConfigureAwait(false);
        if (body is null)
        {
            audit.Append(user.Subject(), user.Role(), "visit.join", target, "refused: offer too large");
            return ApiResults.Problem(413, "Offer too large", $"An SDP offer may be at most {MaxOfferBytes} bytes.");
        }
        if (!SdpOffers.TryRead(body, out var offer, out var sdpError))
        {
            audit.Append(user.Subject(), user.Role(), "visit.join", target, "refused: malformed SDP");
            return ApiResults.BadRequest("The SDP offer is not valid: " + sdpError);
        }
        var client = http.Connection.RemoteIpAddress ?? IPAddress.Loopback;
        var outcome = lifecycle.Join(visit, participant, offer, client);
        if (outcome.Refusal is { } refusal)
        {
            audit.Append(user.Subject(), user.Role(), "visit.join", target, $"refused: {refusal.Status} {refusal.Title}");
            return ApiResults.Problem(refusal.Status, refusal.Title, refusal.Detail);
        }
        var leg = outcome.Leg!;
        audit.Append(user.Subject(), user.Role(), "visit.join", $"{target}/legs/{leg.Id}", "ok");
        var rtp = options.Value.Rtp;
        var announced = string.IsNullOrWhiteSpace(rtp.AnnouncedAddress) ? rtp.ListenAddress : rtp.AnnouncedAddress;
        var answer = outcome.AnswerSdp ?? SdpOffers.WriteAnswer(outcome.Answer!, IPAddress.Parse(announced));
        http.Response.Headers.Location = leg.Location;
        return Results.Text(answer, "application/sdp", Encoding.UTF8, StatusCodes.Status201Created);
    }

    private static IResult Leave(string id, string legId, ClaimsPrincipal user, VisitRegistry registry, VisitLifecycle lifecycle, AuditLog audit)
    {
        var visit = registry.Get(id);
        var leg = visit?.FindLeg(legId);
        if (visit is null || leg is null)
        {
            return ApiResults.NotFound($"No leg '{legId}' in visit '{id}'.");
        }
        if (user.VisitId() != id || leg.Participant.Id != user.Subject())
        {
            audit.Append(user.Subject(), user.Role(), "visit.leave", $"visit/{id}/legs/{legId}", "refused: not the leg's owner");
            return ApiResults.Forbidden("Only the participant who joined may end this leg.");
        }
        lifecycle.Leave(visit, leg);
        audit.Append(user.Subject(), user.Role(), "visit.leave", $"visit/{id}/legs/{legId}", "ok");
        return Results.NoContent();
    }

    private static IResult Terminate(string id, TerminateRequest? request, ClaimsPrincipal user, VisitRegistry registry, VisitLifecycle lifecycle, AuditLog audit)
    {
        var visit = registry.Get(id);
        if (visit is null)
        {
            return ApiResults.NotFound($"No visit '{id}'.");
        }
        var reason = string.IsNullOrWhiteSpace(request?.Reason) ? "terminated by an officer" : request.Reason.Trim();
        if (!lifecycle.Terminate(visit, reason))
        {
            audit.Append(user.Subject(), user.Role(), "visit.terminate", "visit/" + id, "refused: already " + VisitStore.StateName(visit.State));
            return ApiResults.Problem(409, "Visit is over", $"The visit is already {VisitStore.StateName(visit.State)}.");
        }
        audit.Append(user.Subject(), user.Role(), "visit.terminate", "visit/" + id, "ok: " + reason);
        return Results.Ok(VisitDto.From(visit));
    }

    private static async Task<string?> ReadBodyAsync(HttpRequest request, int limit)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk.AsMemory(), request.HttpContext.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
