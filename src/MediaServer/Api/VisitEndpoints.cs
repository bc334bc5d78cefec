using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using MediaServer.Auth;
using MediaServer.Hosting;
using MediaServer.Visits;
using Microsoft.Extensions.Options;

namespace MediaServer.Api;

/// <summary>Visits: schedule, tokens, join and leave, taps, flags, terminate (api.md, "Visits").</summary>
public static class VisitEndpoints
{
    /// <summary>An SDP offer larger than this is refused before parsing (the parser has its own, stricter limits).</summary>
    public const int MaxOfferBytes = 64 * 1024;

    public static void Map(IEndpointRouteBuilder app)
    {
        var visits = app.MapGroup("/api/visits");
        // Ids in the path are checked before any handler, so a megabyte "id" never reaches the store or the audit log.
        visits.AddEndpointFilter(RequestLimits.CheckRouteIds);
        visits.MapPost("", Create).RequireAuthorization(Policies.Scheduling);
        visits.MapGet("", List).RequireAuthorization(Policies.Staff);
        visits.MapGet("/{id}", Get).RequireAuthorization(Policies.Staff);
        visits.MapPost("/{id}/tokens", MintToken).RequireAuthorization(Policies.Scheduling).RequireRateLimiting(RequestLimits.MintPolicy);
        visits.MapPost("/{id}/join", Join).RequireAuthorization(Policies.Participant).RequireRateLimiting(RequestLimits.ParticipantPolicy);
        visits.MapGet("/{id}/roster", Roster).RequireAuthorization(Policies.Participant);
        visits.MapDelete("/{id}/legs/{legId}", Leave).RequireAuthorization(Policies.Participant)
            .RequireRateLimiting(RequestLimits.ParticipantPolicy);
        visits.MapPost("/{id}/terminate", Terminate).RequireAuthorization(Policies.Officer);
        visits.MapPost("/{id}/taps", OpenTap).RequireAuthorization(Policies.Officer);
        visits.MapDelete("/{id}/taps/{tapId}", CloseTap).RequireAuthorization(Policies.Officer);
        visits.MapPost("/{id}/flags", Flag).RequireAuthorization(Policies.Officer);
    }

    // Privileged status is fixed when a visit is scheduled: no endpoint changes it, so a live privileged visit can never be
    // made tappable (issue: "a live visit cannot be switched from privileged to not").

    private static async Task<IResult> Create(HttpContext http, ClaimsPrincipal user, VisitRegistry registry, IAuditLog audit,
        TimeProvider time, IOptions<MediaServerOptions> options)
    {
        var now = time.GetUtcNow();
        var (request, error) = await ReadVisitRequestAsync(http).ConfigureAwait(false);
        error ??= Validate(request!, options.Value.Visits.MaxVisitors, options.Value.Limits, now);
        if (error is not null)
        {
            audit.Append(user.Subject(), user.Role(), "visit.create", "visit/-", "refused: " + error);
            return ApiResults.BadRequest(error);
        }
        var visit = registry.Create(request!.Inmate, request.Visitors, request.Start, request.End, request.Privileged, request.Flagged, now);
        audit.Append(user.Subject(), user.Role(), "visit.create", "visit/" + visit.Id, "ok");
        return Results.Created($"/api/visits/{visit.Id}", VisitDto.From(visit, []));
    }

    private const string VisitShape = "The body must be a JSON visit: {inmate:{id,name}, visitors:[{id,name}], start, end, privileged, flagged}.";

    /// <summary>
    /// Reads the visit from the body by hand rather than through model binding, so that every malformed field gets its own
    /// plain 400 (a timestamp without an offset, a number where a name goes) instead of a bare binding failure.
    /// </summary>
    private static async Task<(ParsedVisit? Visit, string? Error)> ReadVisitRequestAsync(HttpContext http)
    {
        if (http.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
        {
            return (null, "The body must be application/json. " + VisitShape);
        }
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(http.Request.Body, new JsonDocumentOptions { MaxDepth = 8 },
                http.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            return (null, "The body is not valid JSON. " + VisitShape);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, VisitShape);
            }
            var inmate = ReadPerson(root, "inmate");
            if (inmate is null)
            {
                return (null, $"inmate must be {{\"id\", \"name\"}}: an id of 1 to {InputRules.MaxIdLength} characters A-Z, a-z, 0-9, '.', '_', '-' and a name of 1 to {InputRules.MaxNameLength} characters without control characters.");
            }
            if (!root.TryGetProperty("visitors", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                return (null, "visitors must be an array of {\"id\", \"name\"}.");
            }
            var visitors = new List<Person>();
            foreach (var item in list.EnumerateArray())
            {
                if (visitors.Count > 64)
                {
                    break; // The count is refused below; no need to read a long list to say so.
                }
                var person = item.ValueKind == JsonValueKind.Object ? ReadPerson(item) : null;
                if (person is null)
                {
                    return (null, $"Every visitor needs an id of 1 to {InputRules.MaxIdLength} characters A-Z, a-z, 0-9, '.', '_', '-' and a name of 1 to {InputRules.MaxNameLength} characters without control characters.");
                }
                visitors.Add(person);
            }
            var start = ReadTimestamp(root, "start");
            var end = ReadTimestamp(root, "end");
            if (start is null || end is null)
            {
                return (null, "start and end are required: RFC 3339 timestamps with an explicit offset, e.g. 2026-05-01T14:00:00+02:00 or 2026-05-01T12:00:00Z.");
            }
            if (!TryReadBool(root, "privileged", out var privileged) || !TryReadBool(root, "flagged", out var flagged))
            {
                return (null, "privileged and flagged, when given, must be true or false.");
            }
            return (new ParsedVisit(inmate, visitors, start.Value, end.Value, privileged, flagged), null);
        }
    }

    private sealed record ParsedVisit(Person Inmate, List<Person> Visitors, DateTimeOffset Start, DateTimeOffset End, bool Privileged, bool Flagged);

    private static Person? ReadPerson(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.Object ? ReadPerson(element) : null;

    private static Person? ReadPerson(JsonElement element)
    {
        var id = element.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null;
        var name = element.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        return InputRules.IsId(id) && InputRules.IsText(name, InputRules.MaxNameLength) ? new Person(id!, name!.Trim()) : null;
    }

    private static DateTimeOffset? ReadTimestamp(JsonElement root, string name) =>
        root.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.String
            && InputRules.TryParseTimestamp(element.GetString(), out var value) ? value : null;

    private static bool TryReadBool(JsonElement root, string name, out bool value)
    {
        value = false;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }
        if (element.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            value = element.GetBoolean();
            return true;
        }
        return false;
    }

    private static string? Validate(ParsedVisit request, int maxVisitors, LimitOptions limits, DateTimeOffset now)
    {
        if (request.Visitors.Count == 0 || request.Visitors.Count > maxVisitors)
        {
            return $"A visit has from 1 to {maxVisitors} visitors.";
        }
        var ids = new HashSet<string>(StringComparer.Ordinal) { request.Inmate.Id };
        foreach (var visitor in request.Visitors)
        {
            if (!ids.Add(visitor.Id))
            {
                return $"Participant id '{visitor.Id}' appears twice; ids must be unique within a visit.";
            }
        }
        if (request.End <= request.Start)
        {
            return "end must be after start.";
        }
        if (request.Start < InputRules.EarliestStart)
        {
            return $"start must be in the year 2000 or later; {request.Start:O} is not a plausible visit.";
        }
        if (request.Start > now + limits.MaxScheduleAhead)
        {
            return $"start may be at most {limits.MaxScheduleAhead.TotalDays:0} days ahead.";
        }
        if (request.End - request.Start > limits.MaxVisitDuration)
        {
            return $"A visit may last at most {limits.MaxVisitDuration.TotalHours:0.##} hours (end − start).";
        }
        if (request.End <= now)
        {
            return "end is in the past.";
        }
        return null;
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
        IAuditLog audit, IOptions<MediaServerOptions> options)
    {
        var visit = registry.Get(id);
        if (visit is null)
        {
            return ApiResults.NotFound($"No visit '{id}'.");
        }
        if (ParticipantTokenPolicy.Refusal(user.Role(), visit.Privileged) is { } why)
        {
            audit.Append(user.Subject(), user.Role(), "visit.token", "visit/" + id, "refused: " + why);
            return ApiResults.Forbidden(visit.Privileged
                ? "This is a privileged (attorney or clergy) visit: its join codes come only from the facility's scheduling system."
                : "This role may not issue join codes.");
        }
        var participant = string.IsNullOrEmpty(request?.Participant) ? null : visit.FindParticipant(request.Participant);
        if (participant is null)
        {
            audit.Append(user.Subject(), user.Role(), "visit.token", "visit/" + id, "refused: unknown participant");
            return ApiResults.BadRequest($"participant must be one of: {string.Join(", ", visit.Participants.Select(p => p.Id))}.");
        }
        if (visit.IsFinal)
        {
            return ApiResults.Problem(410, visit.State == VisitState.Terminated ? ProblemTypes.VisitTerminated : ProblemTypes.VisitOver, "Visit is over", "No tokens are issued for a visit that has ended.");
        }
        var auth = options.Value.Auth;
        var role = participant.Role == PartyRole.Kiosk ? Roles.Kiosk : Roles.Visitor;
        var token = issuer.Issue(role, participant.Id, visit.Id, visit.Start - auth.JoinGrace, visit.End + auth.AfterEndGrace);
        audit.Append(user.Subject(), user.Role(), "visit.token", $"visit/{id}/participant/{participant.Id}", "ok: jti " + token.TokenId);
        return Results.Created($"/api/visits/{id}", new TokenResponse(token.Token, token.ValidFrom, token.ValidUntil));
    }

    /// <summary>
    /// The client presenting a participant token (its <c>jti</c> and instance secret or address), or a refusal: a token
    /// without a <c>jti</c> (minted before tokens were bound to clients) or a malformed Client-Instance header.
    /// </summary>
    private static IResult? ReadClient(HttpContext http, ClaimsPrincipal user, IAuditLog audit, string action, string target, out JoinClient? client)
    {
        client = null;
        var tokenId = user.TokenId();
        if (string.IsNullOrEmpty(tokenId))
        {
            audit.Append(user.Subject(), user.Role(), action, target, "refused: token has no jti");
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
            audit.Append(user.Subject(), user.Role(), action, target, "refused: malformed client instance");
            return ApiResults.BadRequest(error!);
        }
        return null;
    }

    private static async Task<IResult> Join(string id, HttpContext http, ClaimsPrincipal user, VisitRegistry registry, VisitLifecycle lifecycle,
        IAuditLog audit, IOptions<MediaServerOptions> options)
    {
        var target = "visit/" + id;
        if (user.VisitId() != id)
        {
            audit.Append(user.Subject(), user.Role(), "visit.join", target, "refused: token is for another visit");
            return ApiResults.Forbidden("This token is for another visit.", ProblemTypes.WrongVisit);
        }
        var visit = registry.Get(id);
        var participant = visit?.FindParticipant(user.Subject());
        if (visit is null || participant is null
            || (participant.Role == PartyRole.Kiosk) != (user.Role() == Roles.Kiosk))
        {
            audit.Append(user.Subject(), user.Role(), "visit.join", target, "refused: not a participant of this visit");
            return ApiResults.Forbidden("This token does not name a participant of this visit in that role.");
        }
        if (ReadClient(http, user, audit, "visit.join", target, out var joinClient) is { } badClient)
        {
            return badClient;
        }
        var contentType = http.Request.ContentType ?? "";
        if (!contentType.StartsWith("application/sdp", StringComparison.OrdinalIgnoreCase))
        {
            return ApiResults.Problem(415, ProblemTypes.UnsupportedMediaType, "Unsupported media type", "The offer must be sent as application/sdp.");
        }
        var body = await ReadBodyAsync(http.Request, MaxOfferBytes).ConfigureAwait(false);
        if (body is null)
        {
            audit.Append(user.Subject(), user.Role(), "visit.join", target, "refused: offer too large");
            return ApiResults.Problem(413, ProblemTypes.OfferTooLarge, "Offer too large", $"An SDP offer may be at most {MaxOfferBytes} bytes.");
        }
        if (!SdpOffers.TryRead(body, out var offer, out var sdpError))
        {
            audit.Append(user.Subject(), user.Role(), "visit.join", target, "refused: malformed SDP");
            return ApiResults.BadRequest("The SDP offer is not valid: " + sdpError, ProblemTypes.InvalidOffer);
        }
        var outcome = lifecycle.Join(visit, participant, offer, joinClient!.Address, joinClient);
        if (outcome.Refusal is { } refusal)
        {
            // A refusal about who holds the token names the client that tried, so the audit shows a copied join code.
            var named = refusal.Title is VisitLifecycle.TokenInUseTitle or VisitLifecycle.AlreadyConnectedTitle ? ": " + joinClient.Describe() : "";
            audit.Append(user.Subject(), user.Role(), "visit.join", target, $"refused: {refusal.Status} {refusal.Title}{named}");
            return ApiResults.Refused(refusal);
        }
        var leg = outcome.Leg!;
        audit.Append(user.Subject(), user.Role(), "visit.join", $"{target}/legs/{leg.Id}", "ok: " + joinClient.Describe());
        var rtp = options.Value.Rtp;
        var announced = string.IsNullOrWhiteSpace(rtp.AnnouncedAddress) ? rtp.ListenAddress : rtp.AnnouncedAddress;
        var answer = outcome.AnswerSdp ?? SdpOffers.WriteAnswer(outcome.Answer!, IPAddress.Parse(announced));
        http.Response.Headers.Location = leg.Location;
        return Results.Text(answer, "application/sdp", Encoding.UTF8, StatusCodes.Status201Created);
    }

    private static IResult Leave(string id, string legId, HttpContext http, ClaimsPrincipal user, VisitRegistry registry, VisitLifecycle lifecycle, IAuditLog audit)
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
        if (ReadClient(http, user, audit, "visit.leave", $"visit/{id}/legs/{legId}", out var client) is { } badClient)
        {
            return badClient;
        }
        // Only the token and client that opened the leg end it: a copied join code cannot hang up on its owner.
        if (leg.Client is { } holder
            && (!string.Equals(holder.TokenId, client!.TokenId, StringComparison.Ordinal) || !string.Equals(holder.Credential, client.Credential, StringComparison.Ordinal)))
        {
            audit.Append(user.Subject(), user.Role(), "visit.leave", $"visit/{id}/legs/{legId}", "refused: not the client that joined: " + client!.Describe());
            return ApiResults.Forbidden("Only the device that joined may end this connection.");
        }
        lifecycle.Leave(visit, leg);
        audit.Append(user.Subject(), user.Role(), "visit.leave", $"visit/{id}/legs/{legId}", "ok");
        return Results.NoContent();
    }

    /// <summary>
    /// The live roster for a participant of the visit: every party, whether it is connected and whether it sends and
    /// receives, so each party sees who can hear it. Taps are not parties and are not listed (a privileged visit has none).
    /// A token bound to another client is refused, as its join would be.
    /// </summary>
    private static IResult Roster(string id, HttpContext http, ClaimsPrincipal user, VisitRegistry registry, JoinBindings bindings, IAuditLog audit)
    {
        var target = "visit/" + id;
        var visit = registry.Get(id);
        if (user.VisitId() != id || visit?.FindParticipant(user.Subject()) is null)
        {
            audit.Append(user.Subject(), user.Role(), "visit.roster", target, "refused: token is for another visit");
            return ApiResults.Forbidden("This token is for another visit.", ProblemTypes.WrongVisit);
        }
        if (ReadClient(http, user, audit, "visit.roster", target, out var client) is { } badClient)
        {
            return badClient;
        }
        if (bindings.Check(client!) == BindingMatch.Other)
        {
            audit.Append(user.Subject(), user.Role(), "visit.roster", target, "refused: token bound to another client: " + client!.Describe());
            return ApiResults.Problem(409, ProblemTypes.TokenInUse, VisitLifecycle.TokenInUseTitle, "This join code is in use on another device.");
        }
        return Results.Ok(RosterDto.From(visit!, user.Subject()));
    }

    private static IResult Terminate(string id, TerminateRequest? request, ClaimsPrincipal user, VisitRegistry registry, VisitLifecycle lifecycle,
        IAuditLog audit, VisitFlags flags)
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
        var reason = string.IsNullOrWhiteSpace(request?.Reason) ? "terminated by an officer" : request.Reason.Trim();
        if (!lifecycle.Terminate(visit, reason))
        {
            audit.Append(user.Subject(), user.Role(), "visit.terminate", "visit/" + id, "refused: already " + VisitStates.Name(visit.State));
            return ApiResults.Problem(409, visit.State == VisitState.Terminated ? ProblemTypes.VisitTerminated : ProblemTypes.VisitOver, "Visit is over", $"The visit is already {VisitStates.Name(visit.State)}.");
        }
        audit.Append(user.Subject(), user.Role(), "visit.terminate", "visit/" + id, "ok: " + reason);
        return Results.Ok(VisitDto.From(visit, flags.For(visit)));
    }

    /// <summary>
    /// An officer's tap (api.md; WHEP-style, RFC 9725 §4.2: 201 with the answer and the resource's Location). Every attempt is
    /// audited with the officer's identity, refused ones included: a privileged visit is refused before its offer is read.
    /// </summary>
    private static async Task<IResult> OpenTap(string id, string? audio, HttpContext http, ClaimsPrincipal user, VisitRegistry registry,
        VisitLifecycle lifecycle, IAuditLog audit, IOptions<MediaServerOptions> options, Metrics.RelayMetrics metrics)
    {
        var target = "visit/" + id;
        var visit = registry.Get(id);
        if (visit is null)
        {
            audit.Append(user.Subject(), user.Role(), "visit.tap", target, "refused: no such visit");
            return ApiResults.NotFound($"No visit '{id}'.");
        }
        if (visit.Privileged)
        {
            audit.Append(user.Subject(), user.Role(), "visit.tap", target, "refused: privileged visit");
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
        var contentType = http.Request.ContentType ?? "";
        if (!contentType.StartsWith("application/sdp", StringComparison.OrdinalIgnoreCase))
        {
            return ApiResults.Problem(415, ProblemTypes.UnsupportedMediaType, "Unsupported media type", "The offer must be sent as application/sdp.");
        }
        var body = await ReadBodyAsync(http.Request, MaxOfferBytes).ConfigureAwait(false);
        if (body is null)
        {
            audit.Append(user.Subject(), user.Role(), "visit.tap", target, "refused: offer too large");
            return ApiResults.Problem(413, ProblemTypes.OfferTooLarge, "Offer too large", $"An SDP offer may be at most {MaxOfferBytes} bytes.");
        }
        if (!SdpOffers.TryRead(body, out var offer, out var sdpError))
        {
            audit.Append(user.Subject(), user.Role(), "visit.tap", target, "refused: malformed SDP");
            return ApiResults.BadRequest("The SDP offer is not valid: " + sdpError, ProblemTypes.InvalidOffer);
        }
        var client = http.Connection.RemoteIpAddress ?? IPAddress.Loopback;
        var outcome = lifecycle.OpenTap(visit, offer, client, user.Subject(), user.Role(),
            mixed ? tap => Monitoring.MixedAudioTap.TryAttach(tap, visit, metrics) ? null : Monitoring.MixedAudioTap.NoAudioSlot : null);
        if (outcome.Refusal is { } refusal)
        {
            audit.Append(user.Subject(), user.Role(), "visit.tap", target, $"refused: {refusal.Status} {refusal.Title}");
            return ApiResults.Refused(refusal);
        }
        var tap = outcome.Tap!;
        audit.Append(user.Subject(), user.Role(), "visit.tap", $"{target}/taps/{tap.Id}", "ok: " + (tap.IsWebRtc ? "webrtc" : "rtp") + (tap.MixedAudio ? ", mixed audio" : ""));
        var rtp = options.Value.Rtp;
        var announced = string.IsNullOrWhiteSpace(rtp.AnnouncedAddress) ? rtp.ListenAddress : rtp.AnnouncedAddress;
        var answer = outcome.AnswerSdp ?? SdpOffers.WriteAnswer(outcome.Answer!, IPAddress.Parse(announced));
        http.Response.Headers.Location = tap.Location;
        return Results.Text(answer, "application/sdp", Encoding.UTF8, StatusCodes.Status201Created);
    }

    /// <summary>Ends a tap (RFC 9725 §4.3: DELETE of the resource). Any officer may end any tap: ending one never reveals anything.</summary>
    private static IResult CloseTap(string id, string tapId, ClaimsPrincipal user, VisitRegistry registry, VisitLifecycle lifecycle, IAuditLog audit)
    {
        var visit = registry.Get(id);
        var tap = visit?.FindTap(tapId);
        if (visit is null || tap is null || !lifecycle.CloseTap(visit, tap))
        {
            return ApiResults.NotFound($"No open tap '{tapId}' of visit '{id}'.");
        }
        var outcome = tap.OfficerId == user.Subject() ? "ok" : $"ok: tap of {tap.OfficerId}";
        audit.Append(user.Subject(), user.Role(), "visit.tap.stop", $"visit/{id}/taps/{tapId}", outcome);
        return Results.NoContent();
    }

    /// <summary>An officer's bookmark at this moment of the visit (api.md); stored, listed with the visit, handed to the recorder.</summary>
    private static IResult Flag(string id, FlagRequest? request, ClaimsPrincipal user, VisitRegistry registry, VisitFlags flags, IAuditLog audit)
    {
        var target = "visit/" + id;
        var visit = registry.Get(id);
        if (visit is null)
        {
            return ApiResults.NotFound($"No visit '{id}'.");
        }
        var note = request?.Note?.Trim();
        if (string.IsNullOrEmpty(note) || note.Length > VisitFlags.MaxNoteLength)
        {
            audit.Append(user.Subject(), user.Role(), "visit.flag", target, "refused: bad note");
            return ApiResults.BadRequest($"The body must be {{\"note\": \"...\"}} with a note of 1 to {VisitFlags.MaxNoteLength} characters.");
        }
        if (visit.IsFinal)
        {
            audit.Append(user.Subject(), user.Role(), "visit.flag", target, "refused: visit " + VisitStates.Name(visit.State));
            return ApiResults.Problem(409, visit.State == VisitState.Terminated ? ProblemTypes.VisitTerminated : ProblemTypes.VisitOver, "Visit is over", $"The visit is already {VisitStates.Name(visit.State)}; a flag marks a moment of a visit in progress.");
        }
        var flag = flags.Create(visit, user.Subject(), note);
        audit.Append(user.Subject(), user.Role(), "visit.flag", target, "ok: at " + flag.At.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        return Results.Created($"/api/visits/{id}", flag);
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
