using System.Globalization;
using System.Net;
using System.Security.Claims;
using MediaServer.Auth;
using MediaServer.Hosting;
using MediaServer.Monitoring;
using MediaServer.Transport;
using MediaServer.Visits;
using Microsoft.Extensions.Options;

namespace MediaServer.Api;

/// <summary>
/// An officer on a live visit (docs/api.md, "Taps and flags"): a silent tap (WHEP-style: 201, the answer and the tap's
/// <c>Location</c>; DELETE of it ends the tap) and a flag at this moment. Every attempt is audited with the officer's identity.
/// </summary>
public static class TapEndpoints
{
    public static void Map(RouteGroupBuilder visits)
    {
        visits.MapPost("/{id}/taps", OpenTap).RequireAuthorization(Policies.Officer)
            .WithName("OpenTap").WithSummary("Watch and listen to a visit with a receive-only SDP offer (officer): 201, the answer and the tap's Location.");
        visits.MapDelete("/{id}/taps/{tapId}", CloseTap).RequireAuthorization(Policies.Officer)
            .WithName("CloseTap").WithSummary("End a tap (officer).");
        visits.MapPost("/{id}/flags", Flag).RequireAuthorization(Policies.Officer)
            .WithName("FlagVisit").WithSummary("Bookmark this moment of a live visit (officer).");
    }

    /// <summary>
    /// An officer's tap (docs/api.md; WHEP-style, RFC 9725 §4.2: 201 with the answer and the resource's Location). Every
    /// attempt is audited with the officer's identity, refused ones included: a privileged visit is refused before its offer is read.
    /// </summary>
    private static async Task<IResult> OpenTap(string id, string? audio, HttpContext http, ClaimsPrincipal user, VisitRegistry registry,
        VisitLifecycle lifecycle, IAuditLog trail, IOptions<RtpOptions> rtp, Metrics.RelayMetrics metrics)
    {
        var target = "visit/" + id;
        var audit = trail.For(user, "visit.tap", target);
        var visit = registry.Get(id);
        if (visit is null)
        {
            audit.Refused("no such visit");
            return ApiResults.NotFound($"No visit '{id}'.");
        }
        if (visit.Privileged)
        {
            audit.Refused("privileged visit");
            return ApiResults.Forbidden("This is a privileged (attorney or clergy) visit: nobody may watch or listen to it.", ProblemTypes.Privileged);
        }
        bool mixed;
        switch (audio)
        {
            case null or "" or "parties":
                mixed = false;
                break;
            case "mixed":
                mixed = true;
                break;
            default:
                return ApiResults.BadRequest("audio must be 'parties' (the default: one audio slot per party) or 'mixed'.");
        }
        var (offer, badOffer) = await SdpExchange.ReadOfferAsync(http, audit).ConfigureAwait(false);
        if (badOffer is not null)
        {
            return badOffer;
        }
        var client = http.Connection.RemoteIpAddress ?? IPAddress.Loopback;
        var outcome = lifecycle.OpenTap(visit, offer!, client, user.Subject(), user.Role(),
            mixed ? new MixedAudioTap.Planner(metrics) : null);
        if (outcome.Refusal is { } refusal)
        {
            audit.Refused($"{refusal.Status} {refusal.Title}");
            return ApiResults.Refused(refusal);
        }
        var tap = outcome.Tap!;
        audit.Ok((tap.IsWebRtc ? "webrtc" : "rtp") + (tap.MixedAudio ? ", mixed audio" : ""), $"{target}/taps/{tap.Id}");
        return SdpExchange.Answer(http, outcome.AnswerSdp, outcome.Answer, rtp.Value, tap.Location);
    }

    /// <summary>Ends a tap (RFC 9725 §4.3: DELETE of the resource). Any officer may end any tap: ending one never reveals anything.</summary>
    private static IResult CloseTap(string id, string tapId, ClaimsPrincipal user, VisitRegistry registry, VisitLifecycle lifecycle, IAuditLog trail)
    {
        var visit = registry.Get(id);
        var tap = visit?.FindTap(tapId);
        if (visit is null || tap is null || !lifecycle.CloseTap(visit, tap))
        {
            return ApiResults.NotFound($"No open tap '{tapId}' of visit '{id}'.");
        }
        trail.For(user, "visit.tap.stop", $"visit/{id}/taps/{tapId}").Ok(tap.OfficerId == user.Subject() ? null : "tap of " + tap.OfficerId);
        return Results.NoContent();
    }

    /// <summary>An officer's bookmark at this moment of the visit (docs/api.md); stored, listed with the visit, handed to the recorder.</summary>
    private static IResult Flag(string id, FlagRequest? request, ClaimsPrincipal user, VisitRegistry registry, VisitFlags flags, IAuditLog trail)
    {
        var visit = registry.Get(id);
        if (visit is null)
        {
            return ApiResults.NotFound($"No visit '{id}'.");
        }
        var audit = trail.For(user, "visit.flag", "visit/" + id);
        var note = request?.Note?.Trim();
        if (string.IsNullOrEmpty(note) || note.Length > VisitFlags.MaxNoteLength)
        {
            audit.Refused("bad note");
            return ApiResults.BadRequest($"The body must be {{\"note\": \"...\"}} with a note of 1 to {VisitFlags.MaxNoteLength} characters.");
        }
        if (visit.IsFinal)
        {
            audit.Refused("visit " + VisitStates.Name(visit.State));
            return VisitEndpoints.VisitOver(visit, $"The visit is already {VisitStates.Name(visit.State)}; a flag marks a moment of a visit in progress.");
        }
        var flag = flags.Create(visit, user.Subject(), note);
        audit.Ok("at " + flag.At.ToString("O", CultureInfo.InvariantCulture));
        return Results.Created($"/api/visits/{id}", flag);
    }
}
