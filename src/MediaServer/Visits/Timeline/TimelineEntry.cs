using System.Text.Json.Serialization;

namespace MediaServer.Visits.Timeline;

/// <summary>Why a party was away and came back (docs/api.md, "Timeline"): each is something the server itself saw.</summary>
public enum ReconnectCause
{
    /// <summary>The party's transport failed: ICE consent lost (RFC 7675 §5.1), a DTLS or ICE timeout.</summary>
    ConsentLost,

    /// <summary>The party restarted ICE on its leg (a new offer on the same leg, RFC 8839 §4.4.1.1.1).</summary>
    IceRestart,

    /// <summary>The same client joined again while its leg was still connected: the page was reloaded.</summary>
    PageReload,

    /// <summary>The server stopped (drained or killed) and the visit resumed when it started again.</summary>
    ServerRestart,

    /// <summary>
    /// No media came from the party for <see cref="VisitTimeline.StallAfter"/> while its leg stayed open (a network cut the
    /// client's own ICE rides out, a kiosk that stopped sending); back when media arrives on the same leg again.
    /// </summary>
    MediaStalled,
}

/// <summary>Who or what ended a party's presence in the visit.</summary>
public enum LeftBy
{
    /// <summary>The party left (DELETE of its leg).</summary>
    Party,

    /// <summary>An officer terminated the visit (the reason is the entry's detail).</summary>
    Officer,

    /// <summary>The visit reached its scheduled end.</summary>
    ScheduledEnd,

    /// <summary>The server could not go on (the recording of a visit that must be recorded failed).</summary>
    ServerFault,

    /// <summary>Its path failed and it did not come back (before any media, or within the reconnect grace).</summary>
    Network,

    /// <summary>A privileged visit's party sent nothing for the silence limit.</summary>
    Silence,
}

/// <summary>
/// What the server measured of one party over a quality sample's interval (about 10 s): loss and jitter of what it received
/// from the party (its reception statistics, RFC 3550 §6.4.1, A.3, A.8), the round trip its receiver reports give (RFC 3550
/// §6.4.1, LSR/DLSR), and the bitrates in each direction from the leg's byte counters.
/// </summary>
public sealed record TimelineQuality(double LossPercent, double JitterMs, double? RoundTripMs, double BitrateInKbps, double BitrateOutKbps);

/// <summary>
/// One entry of a visit's timeline, in the order the server saw it (<see cref="Seq"/>, from 1). <see cref="Kind"/> is one of
/// the <see cref="TimelineKinds"/>; the other fields are set where they mean something for that kind.
/// </summary>
public sealed record TimelineEntry(long Seq, DateTimeOffset At, string Kind, string? Participant = null, string? Leg = null, string? Detail = null)
{
    /// <summary>reconnecting / reconnected: consent-lost, ice-restart, page-reload, server-restart or media-stalled.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Cause { get; init; }

    /// <summary>left / ended: party, officer, scheduled-end, server-fault, network or silence.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? By { get; init; }

    /// <summary>joined: webrtc or rtp.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Transport { get; init; }

    /// <summary>joined: the codecs the leg's answer accepted (VP8, H264, opus).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Codecs { get; init; }

    /// <summary>reconnected: how long the party was away, in seconds.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Seconds { get; init; }

    /// <summary>quality: the sample.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public TimelineQuality? Quality { get; init; }
}

/// <summary>The kinds of <see cref="TimelineEntry"/> and the names the API and the journal give causes and enders.</summary>
public static class TimelineKinds
{
    public const string Scheduled = "scheduled";
    public const string TokenUsed = "token-used";
    public const string Joined = "joined";
    public const string MediaIn = "media-in";
    public const string MediaOut = "media-out";
    public const string Quality = "quality";
    public const string Reconnecting = "reconnecting";
    public const string Reconnected = "reconnected";
    public const string Left = "left";
    public const string Ended = "ended";

    /// <summary>The visit reached its entry cap (<see cref="VisitTimeline.MaxEntries"/>): nothing after this is kept.</summary>
    public const string Truncated = "truncated";

    public static string Name(ReconnectCause cause) => cause switch
    {
        ReconnectCause.ConsentLost => "consent-lost",
        ReconnectCause.IceRestart => "ice-restart",
        ReconnectCause.PageReload => "page-reload",
        ReconnectCause.MediaStalled => "media-stalled",
        _ => "server-restart",
    };

    public static string Name(LeftBy by) => by switch
    {
        LeftBy.Party => "party",
        LeftBy.Officer => "officer",
        LeftBy.ScheduledEnd => "scheduled-end",
        LeftBy.ServerFault => "server-fault",
        LeftBy.Network => "network",
        _ => "silence",
    };
}
