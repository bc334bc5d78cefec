using MediaServer.Visits;

namespace MediaServer.Api;

/// <summary>
/// <c>GET /problems/{slug}</c>: what each problem <c>type</c> (<see cref="ProblemTypes"/>) means, in a sentence or two of
/// plain text, so that a <c>type</c> a client meets in an answer resolves to its description (RFC 9457 §3.1.1). Unknown
/// slugs are 404.
/// </summary>
public static class ProblemEndpoints
{
    /// <summary>One description per slug of <see cref="ProblemTypes.All"/> (a test holds the two, and docs/api.md, in step).</summary>
    public static readonly IReadOnlyDictionary<string, string> Descriptions = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [ProblemTypes.BadRequest] = "The request is malformed: a field is missing, out of range or of the wrong shape. The detail names it.",
        [ProblemTypes.InvalidOffer] = "The SDP offer could not be parsed. Nothing was bound; send a well-formed offer.",
        [ProblemTypes.Unauthorized] = "No valid bearer token: it is missing, not signed by this server, or not yet valid.",
        [ProblemTypes.TokenExpired] = "The bearer token has expired. Sign in again or ask for a new join code.",
        [ProblemTypes.Forbidden] = "The token's role may not do this. The refusal is audited.",
        [ProblemTypes.WrongVisit] = "The participant token is for another visit.",
        [ProblemTypes.TokenOutdated] = "The join code was minted before tokens were bound to clients (it has no jti). Ask the facility for a new one.",
        [ProblemTypes.NotFound] = "No such visit, leg, tap, recording or route.",
        [ProblemTypes.TooEarly] = "The visit has not opened yet: joins are accepted from shortly before the scheduled start.",
        [ProblemTypes.VisitOver] = "The visit has ended: its scheduled end passed or every party left.",
        [ProblemTypes.VisitTerminated] = "An officer ended the visit.",
        [ProblemTypes.TokenInUse] = "This join code is bound to another device; a copy cannot take over the connection.",
        [ProblemTypes.AlreadyConnected] = "This participant already has a live connection from another client.",
        [ProblemTypes.NoCommonCodec] = "The offer names no codec the server relays (VP8, H.264 packetization-mode 1, Opus).",
        [ProblemTypes.NoUsableMedia] = "The offer has no media line the server can use (every one rejected or inactive).",
        [ProblemTypes.UnsupportedMediaType] = "The body has the wrong content type: offers are application/sdp, everything else application/json.",
        [ProblemTypes.OfferTooLarge] = "The SDP offer is larger than the server reads (64 KiB).",
        [ProblemTypes.BodyTooLarge] = "The request body is over its limit and was not read.",
        [ProblemTypes.TooManyRequests] = "Too many requests from this token in the current window; Retry-After says when to try again.",
        [ProblemTypes.TooManyStreams] = "This user already holds the most officer-console event streams allowed; close one first.",
        [ProblemTypes.TooManyTaps] = "The visit, or this officer, already has the most open taps allowed.",
        [ProblemTypes.TooManyMLines] = "The offer has more media lines than one leg may take.",
        [ProblemTypes.PortBudgetExhausted] = "The visit already uses every RTP port it may take.",
        [ProblemTypes.NoPorts] = "The server has no free RTP port pair left; try again later.",
        [ProblemTypes.NetworkNotAllowed] = "Plain, unauthenticated RTP is accepted only from the facility's configured networks; join over WebRTC instead.",
        [ProblemTypes.AddressFamilyMismatch] = "The offer's connection address is of another address family than the request's.",
        [ProblemTypes.RecordingUnavailable] = "The visit must be recorded and the recording cannot be written; it is refused rather than left unrecorded.",
        [ProblemTypes.PrivilegedSilent] = "A party of a privileged visit must send media; a leg that would only listen is refused or closed.",
        [ProblemTypes.Privileged] = "The visit is privileged (attorney or clergy): nobody may watch, listen to or otherwise reach it.",
        [ProblemTypes.NoReviewCopy] = "The recording has no review copy (yet): it is being rendered, failed or was never rendered.",
        [ProblemTypes.NoJournal] = "The recording has no journal on disk.",
        [ProblemTypes.Unhealthy] = "The server cannot serve this now (database, ports or an internal error). The reason is in the server's log.",
        [ProblemTypes.Restarting] = "The server is restarting (draining after SIGTERM). Retry-After says when to join again with the same token: the visit goes on.",
        [ProblemTypes.OfferMismatch] = "An ICE restart offer (PATCH of a leg) must keep the leg's m-lines, BUNDLE and DTLS fingerprint; anything else is a new join.",
        [ProblemTypes.NotIceRestart] = "The PATCH offer keeps the leg's ICE ufrag or password: an ICE restart carries new ones (RFC 8839 §4.4.1.1.1).",
        [ProblemTypes.NotWebRtcLeg] = "The leg is plain RTP: only a WebRTC leg restarts ICE. A plain-RTP client joins again to move.",
        [ProblemTypes.LegClosed] = "The leg is closed (left, replaced or ended by the server); join again with the same token to take the seat back.",
        [ProblemTypes.KioskMayNotMute] = "The facility does not allow the kiosk to mute its microphone or turn its camera off (MediaServer:Visits:KioskMayMute).",
    };

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/problems/{slug}", (string slug) => Descriptions.TryGetValue(slug, out var text)
                ? Results.Text(slug + ": " + text + "\n", "text/plain; charset=utf-8")
                : ApiResults.NotFound($"No problem type '{slug}'."))
            .WithTags("Operations").WithName("ProblemType").WithSummary("What a problem type slug means, as plain text (anonymous).")
            .Produces(StatusCodes.Status200OK, contentType: "text/plain");
}
