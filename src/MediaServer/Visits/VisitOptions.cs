using System.ComponentModel.DataAnnotations;

namespace MediaServer.Visits;

public sealed class VisitOptions
{
    [Range(1, 4)]
    public int MaxVisitors { get; set; } = 4;

    /// <summary>How often the lifecycle service checks scheduled ends.</summary>
    public TimeSpan LifecycleTick { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// On a privileged visit, a leg from which no media has arrived for this long (never since it joined, or not any more) is
    /// closed: a party that only listens is refused at the join, and one that offers to send but does not is closed here.
    /// </summary>
    public TimeSpan PrivilegedSilenceLimit { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A live visit that every party has left (after its start) ends when nobody has come back for this long; a party
    /// leaving the waiting room before the start never ends it.
    /// </summary>
    public TimeSpan EmptyGrace { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A leg whose path failed after media flowed (consent lost, ICE/DTLS timeout) is <c>reconnecting</c> for this long: its
    /// slot, its place in the other parties' layout and its recording track stay, and a join from the same client takes the
    /// seat back. After it, the party has left.
    /// </summary>
    public TimeSpan ReconnectGrace { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The first grace out of range, described for the startup error; null when both are valid.</summary>
    public string? GraceProblem() =>
        EmptyGrace < TimeSpan.FromSeconds(1) || EmptyGrace > TimeSpan.FromHours(1) ? "MediaServer:Visits:EmptyGrace must be from 00:00:01 to 01:00:00."
        : ReconnectGrace < TimeSpan.FromSeconds(1) || ReconnectGrace > TimeSpan.FromMinutes(10) ? "MediaServer:Visits:ReconnectGrace must be from 00:00:01 to 00:10:00."
        : null;

    /// <summary>
    /// On SIGTERM, how long the server answers the pages' joins, roster polls and leaves with 503 <c>restarting</c> before it
    /// stops (<see cref="ServerDrain"/>): a little over the visit page's roster interval (3 s), so every page hears it.
    /// </summary>
    public TimeSpan DrainWindow { get; set; } = TimeSpan.FromSeconds(3.5);

    /// <summary>
    /// Whether the kiosk (the inmate's side) may mute its microphone or turn its camera off. A facility that must always see
    /// and hear the inmate sets it false: the kiosk page shows no such buttons and the server refuses the kiosk's change.
    /// </summary>
    public bool KioskMayMute { get; set; } = true;

    /// <summary>How the inmate is named to the visitors on their page: the full name, the first name only, or not at all.</summary>
    public InmateNameShown InmateNameToVisitors { get; set; } = InmateNameShown.Full;

    /// <summary>How long before a visit's start its parties may join (MediaServer:Auth:JoinGrace), set by Hosting at registration.</summary>
    public TimeSpan JoinGrace { get; internal set; } = TimeSpan.FromMinutes(15);

    /// <summary>These options with the join grace filled in (Hosting, at registration).</summary>
    public VisitOptions WithJoinGrace(TimeSpan joinGrace)
    {
        JoinGrace = joinGrace;
        return this;
    }
}

/// <summary>How much of the inmate's name the visitors' page shows (<see cref="VisitOptions.InmateNameToVisitors"/>).</summary>
public enum InmateNameShown
{
    /// <summary>The name as scheduled.</summary>
    Full,

    /// <summary>The first word of it.</summary>
    First,

    /// <summary>Not at all: the tile says "The facility".</summary>
    None,
}
