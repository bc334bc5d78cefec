using System.Net;
using System.Security.Claims;
using MediaServer.Auth;
using MediaServer.Hosting;
using MediaServer.Transport;
using MediaServer.Visits;
using Microsoft.Extensions.Options;

namespace MediaServer.Api;

/// <summary>
/// A participant's legs (docs/api.md, "Legs"): join with an SDP offer (201, the answer, <c>Location</c> of the leg), leave
/// by DELETE of that location, and the visit's roster. Each is bound to the client that first joined with the token.
/// </summary>
public static class LegEndpoints
{
    public static void Map(RouteGroupBuilder visits)
    {
        visits.MapPost("/{id}/join", Join).RequireAuthorization(Policies.Participant).RequireRateLimiting(RequestLimits.ParticipantPolicy)
            .AddEndpointFilter(DrainFilter.Check).WithName("JoinVisit").WithSummary("Join with an SDP offer (kiosk, visitor): 201, the answer and the leg's Location.");
        visits.MapGet("/{id}/roster", Roster).RequireAuthorization(Policies.Participant).AddEndpointFilter(DrainFilter.Check)
            .WithName("GetRoster").WithSummary("Who is in the visit, connected, sending and receiving (kiosk, visitor).");
        visits.MapDelete("/{id}/legs/{legId}", Leave).RequireAuthorization(Policies.Participant)
            .RequireRateLimiting(RequestLimits.ParticipantPolicy).AddEndpointFilter(DrainFilter.Check)
            .WithName("LeaveVisit").WithSummary("End one's own leg (kiosk, visitor; the client that joined).");
        visits.MapPatch("/{id}/legs/{legId}", RestartIce).RequireAuthorization(Policies.Participant)
            .RequireRateLimiting(RequestLimits.ParticipantPolicy).AddEndpointFilter(DrainFilter.Check)
            .WithName("RestartIce").WithSummary("ICE restart of one's own WebRTC leg with a new SDP offer (kiosk, visitor; the client that joined): 200 and the answer.");
        visits.MapPut("/{id}/legs/{legId}/devices", SetDevices).RequireAuthorization(Policies.Participant)
            .RequireRateLimiting(RequestLimits.ParticipantPolicy).AddEndpointFilter(DrainFilter.Check)
            .WithName("SetDevices").WithSummary("Say whether one's microphone and camera are on, for the other parties' pages (kiosk, visitor; the client that joined).");
    }

    /// <summary>
    /// The client presenting a participant token (its <c>jti</c> and instance secret or address), or a refusal: a token
    /// without a <c>jti</c> (minted before tokens were bound to clients) or a malformed Client-Instance header.
    /// </summary>
    private static IResult? ReadClient(HttpContext http, ClaimsPrincipal user, AuditScope audit, out JoinClient? client)
    {
        client = null;
        var tokenId = user.TokenId();
        if (string.IsNullOrEmpty(tokenId))
        {
            audit.Refused("token has no jti");
            return ApiResults.Forbidden("This join code is from an older version of the service and can no longer be used. Ask the facility for a new one.", ProblemTypes.TokenOutdated);
        }
        var values = http.Request.Headers[JoinClient.HeaderName];
        string? instance = values.Count switch
        {
            0 => null,
            1 => values[0],
            _ => "",
        };
        var address = http.Connection.RemoteIpAddress ?? IPAddress.Loopback;
        if (!JoinClient.TryCreate(tokenId, instance, address, out client, out var error))
        {
            audit.Refused("malformed client instance");
            return ApiResults.BadRequest(error!);
        }
        return null;
    }

    private static async Task<IResult> Join(string id, HttpContext http, ClaimsPrincipal user, VisitRegistry registry, VisitLifecycle lifecycle,
        IAuditLog trail, IOptions<RtpOptions> rtp)
    {
        var target = "visit/" + id;
        var audit = trail.For(user, "visit.join", target);
        if (user.VisitId() != id)
        {
            audit.Refused("token is for another visit");
            return ApiResults.Forbidden("This token is for another visit.", ProblemTypes.WrongVisit);
        }
        var visit = registry.Get(id);
        var participant = visit?.FindParticipant(user.Subject());
        if (visit is null || participant is null
            || (participant.Role == PartyRole.Kiosk) != (user.Role() == Roles.Kiosk))
        {
            audit.Refused("not a participant of this visit");
            return ApiResults.Forbidden("This token does not name a participant of this visit in that role.");
        }
        if (ReadClient(http, user, audit, out var joinClient) is { } badClient)
        {
            return badClient;
        }
        // ?rtp=symmetric: a plain-RTP client that sends from the ports it receives on (RFC 4961) may share the server's ports.
        var rtpMode = http.Request.Query["rtp"];
        if (rtpMode.Count > 0 && (rtpMode.Count > 1 || !string.Equals(rtpMode[0], "symmetric", StringComparison.Ordinal)))
        {
            audit.Refused("bad rtp parameter");
            return ApiResults.BadRequest("rtp may only be symmetric: the client sends each plain-RTP stream from the port it receives it on.");
        }
        var (offer, badOffer) = await SdpExchange.ReadOfferAsync(http, audit).ConfigureAwait(false);
        if (badOffer is not null)
        {
            return badOffer;
        }
        if (rtpMode.Count == 1)
        {
            offer = offer! with { SymmetricRtp = true };
        }
        var outcome = lifecycle.Join(visit, participant, offer!, joinClient!.Address, joinClient);
        if (outcome.Refusal is { } refusal)
        {
            // A refusal about who holds the token names the client that tried, so the audit shows a copied join code.
            var named = refusal.Title is VisitLifecycle.TokenInUseTitle or VisitLifecycle.AlreadyConnectedTitle ? ": " + joinClient.Describe() : "";
            audit.Refused($"{refusal.Status} {refusal.Title}{named}");
            return ApiResults.Refused(refusal);
        }
        var leg = outcome.Leg!;
        audit.Ok(joinClient.Describe(), $"{target}/legs/{leg.Id}");
        return SdpExchange.Answer(http, outcome.AnswerSdp, outcome.Answer, rtp.Value, leg.Location);
    }

    private static IResult Leave(string id, string legId, HttpContext http, ClaimsPrincipal user, VisitRegistry registry, VisitLifecycle lifecycle,
        IAuditLog trail)
    {
        var visit = registry.Get(id);
        var leg = visit?.FindLeg(legId);
        if (visit is null || leg is null)
        {
            return ApiResults.NotFound($"No leg '{legId}' in visit '{id}'.");
        }
        var audit = trail.For(user, "visit.leave", $"visit/{id}/legs/{legId}");
        if (user.VisitId() != id || leg.Participant.Id != user.Subject())
        {
            audit.Refused("not the leg's owner");
            return ApiResults.Forbidden("Only the participant who joined may end this leg.");
        }
        if (CheckHolder(http, user, audit, leg, "end") is { } refused)
        {
            return refused;
        }
        // A page's pagehide (reload or closed tab) keeps the seat for a short grace: a reload takes it back.
        if (string.Equals(http.Request.Query["reason"], "unload", StringComparison.Ordinal))
        {
            lifecycle.Unload(visit, leg);
            audit.Ok("page unloaded");
            return Results.NoContent();
        }
        lifecycle.Leave(visit, leg);
        audit.Ok();
        return Results.NoContent();
    }

    /// <summary>
    /// The client of the request, refused unless it is the token and client that opened the leg: a copied join code cannot
    /// hang up on its owner, nor move its connection.
    /// </summary>
    private static IResult? CheckHolder(HttpContext http, ClaimsPrincipal user, AuditScope audit, Leg leg, string verb)
    {
        if (ReadClient(http, user, audit, out var client) is { } badClient)
        {
            return badClient;
        }
        if (leg.Client is { } holder
            && (!string.Equals(holder.TokenId, client!.TokenId, StringComparison.Ordinal) || !string.Equals(holder.Credential, client.Credential, StringComparison.Ordinal)))
        {
            audit.Refused("not the client that joined: " + client!.Describe());
            return ApiResults.Forbidden($"Only the device that joined may {verb} this connection.");
        }
        return null;
    }

    /// <summary>
    /// ICE restart in the manner of WHIP (RFC 9725 §4.3): a new offer on the leg's Location with new ICE credentials and the
    /// leg's m-lines and fingerprint; 200 with the answer (the server's new credentials). The same token and client as the
    /// join; the DTLS association and the seat stay.
    /// </summary>
    private static async Task<IResult> RestartIce(string id, string legId, HttpContext http, ClaimsPrincipal user, VisitRegistry registry,
        VisitLifecycle lifecycle, IAuditLog trail)
    {
        var target = $"visit/{id}/legs/{legId}";
        var audit = trail.For(user, "visit.leg.ice-restart", target);
        if (user.VisitId() != id)
        {
            audit.Refused("token is for another visit");
            return ApiResults.Forbidden("This token is for another visit.", ProblemTypes.WrongVisit);
        }
        var visit = registry.Get(id);
        var leg = visit?.FindLeg(legId);
        if (visit is null || leg is null)
        {
            audit.Refused("no such leg");
            return ApiResults.NotFound($"No leg '{legId}' in visit '{id}'.");
        }
        if (leg.Participant.Id != user.Subject())
        {
            audit.Refused("not the leg's owner");
            return ApiResults.Forbidden("Only the participant who joined may restart this leg.");
        }
        if (CheckHolder(http, user, audit, leg, "restart") is { } refused)
        {
            return refused;
        }
        var (offer, badOffer) = await SdpExchange.ReadOfferAsync(http, audit).ConfigureAwait(false);
        if (badOffer is not null)
        {
            return badOffer;
        }
        var (answer, refusal) = lifecycle.RestartIce(visit, leg, offer!);
        if (refusal is not null)
        {
            audit.Refused($"{refusal.Status} {refusal.Title}");
            return ApiResults.Refused(refusal);
        }
        audit.Ok();
        return SdpExchange.Restarted(answer!);
    }

    /// <summary>
    /// The party's own word on its microphone and camera (docs/api.md, "Legs"), shown to the other parties in the roster. The
    /// kiosk may not turn either off where the facility forbids it (<see cref="VisitOptions.KioskMayMute"/>).
    /// </summary>
    private static IResult SetDevices(string id, string legId, DevicesRequest? request, HttpContext http, ClaimsPrincipal user,
        VisitRegistry registry, IOptions<VisitOptions> options, IAuditLog trail)
    {
        var visit = registry.Get(id);
        var leg = visit?.FindLeg(legId);
        if (visit is null || leg is null)
        {
            return ApiResults.NotFound($"No leg '{legId}' in visit '{id}'.");
        }
        var audit = trail.For(user, "visit.leg.devices", $"visit/{id}/legs/{legId}");
        if (user.VisitId() != id || leg.Participant.Id != user.Subject())
        {
            audit.Refused("not the leg's owner");
            return ApiResults.Forbidden("Only the participant who joined may say how this connection's devices are.");
        }
        if (CheckHolder(http, user, audit, leg, "change") is { } refused)
        {
            return refused;
        }
        if (request is not { Microphone: { } microphone, Camera: { } camera })
        {
            audit.Refused("bad body");
            return ApiResults.BadRequest("The body must be {\"microphone\": true|false, \"camera\": true|false}.");
        }
        if (leg.IsClosed)
        {
            audit.Refused("leg closed");
            return ApiResults.Problem(410, ProblemTypes.LegClosed, "Leg closed", "This connection has ended; join again.");
        }
        if (leg.Participant.Role == PartyRole.Kiosk && !options.Value.KioskMayMute && !(microphone && camera))
        {
            audit.Refused("the kiosk may not mute or turn its camera off");
            return ApiResults.Forbidden("The facility does not allow the kiosk to mute or turn its camera off.", ProblemTypes.KioskMayNotMute);
        }
        leg.Devices = (microphone, camera);
        audit.Ok($"microphone {(microphone ? "on" : "off")}, camera {(camera ? "on" : "off")}");
        return Results.NoContent();
    }

    /// <summary>
    /// The live roster for a participant of the visit: every party, whether it is connected and whether it sends and
    /// receives, so each party sees who can hear it. Taps are not parties and are not listed (a privileged visit has none).
    /// A token bound to another client is refused, as its join would be.
    /// </summary>
    private static IResult Roster(string id, HttpContext http, ClaimsPrincipal user, VisitRegistry registry, JoinBindings bindings, IAuditLog trail,
        IOptions<VisitOptions> options, TimeProvider time)
    {
        var audit = trail.For(user, "visit.roster", "visit/" + id);
        var visit = registry.Get(id);
        if (user.VisitId() != id || visit?.FindParticipant(user.Subject()) is null)
        {
            audit.Refused("token is for another visit");
            return ApiResults.Forbidden("This token is for another visit.", ProblemTypes.WrongVisit);
        }
        if (ReadClient(http, user, audit, out var client) is { } badClient)
        {
            return badClient;
        }
        if (bindings.Check(client!) == BindingMatch.Other)
        {
            audit.Refused("token bound to another client: " + client!.Describe());
            return ApiResults.Problem(409, ProblemTypes.TokenInUse, VisitLifecycle.TokenInUseTitle, "This join code is in use on another device.");
        }
        return Results.Ok(RosterDto.From(visit!, user.Subject(), options.Value, time.GetUtcNow()));
    }
}
