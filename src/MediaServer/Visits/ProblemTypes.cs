namespace MediaServer.Visits;

/// <summary>
/// The stable, machine-readable kinds of error the API answers with (RFC 9457 §3.1.1 <c>type</c>). A problem's
/// <c>type</c> is <c>/problems/{slug}</c>; clients switch on the slug, never on the English title or detail.
/// The list is part of the HTTP contract (<c>docs/api.md</c>): slugs are added, never renamed.
/// </summary>
public static class ProblemTypes
{
    public const string BadRequest = "bad-request";
    public const string InvalidOffer = "invalid-offer";
    public const string Unauthorized = "unauthorized";
    public const string TokenExpired = "token-expired";
    public const string Forbidden = "forbidden";
    public const string WrongVisit = "wrong-visit";
    public const string TokenOutdated = "token-outdated";
    public const string NotFound = "not-found";
    public const string TooEarly = "too-early";
    public const string VisitOver = "visit-over";
    public const string VisitTerminated = "visit-terminated";
    public const string TokenInUse = "token-in-use";
    public const string AlreadyConnected = "already-connected";
    public const string NoCommonCodec = "no-common-codec";
    public const string NoUsableMedia = "no-usable-media";
    public const string UnsupportedMediaType = "unsupported-media-type";
    public const string OfferTooLarge = "offer-too-large";
    public const string BodyTooLarge = "body-too-large";
    public const string TooManyRequests = "too-many-requests";
    public const string TooManyStreams = "too-many-streams";
    public const string TooManyTaps = "too-many-taps";
    public const string TooManyMLines = "too-many-m-lines";
    public const string PortBudgetExhausted = "port-budget-exhausted";
    public const string NoPorts = "no-ports";
    public const string NetworkNotAllowed = "network-not-allowed";
    public const string AddressFamilyMismatch = "address-family-mismatch";
    public const string RecordingUnavailable = "recording-unavailable";
    public const string PrivilegedSilent = "privileged-silent";
    public const string Privileged = "privileged";
    public const string NoReviewCopy = "no-review-copy";
    public const string NoJournal = "no-journal";
    public const string Unhealthy = "unhealthy";
    public const string Restarting = "restarting";
    public const string OfferMismatch = "offer-mismatch";
    public const string NotIceRestart = "not-ice-restart";
    public const string NotWebRtcLeg = "not-webrtc-leg";
    public const string LegClosed = "leg-closed";
    public const string KioskMayNotMute = "kiosk-may-not-mute";

    /// <summary>Every slug, for the contract test and the <c>/problems/{slug}</c> page.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        BadRequest, InvalidOffer, Unauthorized, TokenExpired, Forbidden, WrongVisit, TokenOutdated, NotFound,
        TooEarly, VisitOver, VisitTerminated, TokenInUse, AlreadyConnected, NoCommonCodec, NoUsableMedia,
        UnsupportedMediaType, OfferTooLarge, BodyTooLarge, TooManyRequests, TooManyStreams, TooManyTaps,
        TooManyMLines, PortBudgetExhausted, NoPorts, NetworkNotAllowed, AddressFamilyMismatch, RecordingUnavailable,
        PrivilegedSilent, Privileged, NoReviewCopy, NoJournal, Unhealthy, Restarting, OfferMismatch, NotIceRestart,
        NotWebRtcLeg, LegClosed, KioskMayNotMute,
    ];

    /// <summary>The <c>type</c> URI reference of a slug.</summary>
    public static string Uri(string slug) => "/problems/" + slug;
}
