using System.ComponentModel.DataAnnotations;

namespace MediaServer.Visits;

/// <summary>
/// Bounds on what one client, officer or visit may take (MediaServer:Limits): schedule windows, taps, event streams, and the
/// rate of participant requests and token minting. Exceeding one is answered with a 4xx problem+json, never by queueing.
/// </summary>
public sealed class LimitOptions
{
    /// <summary>Longest scheduled visit (end − start).</summary>
    public TimeSpan MaxVisitDuration { get; set; } = TimeSpan.FromHours(8);

    /// <summary>How far ahead a visit may be scheduled.</summary>
    public TimeSpan MaxScheduleAhead { get; set; } = TimeSpan.FromDays(366);

    /// <summary>Open taps on one visit (409 beyond).</summary>
    [Range(1, 64)]
    public int MaxTapsPerVisit { get; set; } = 4;

    /// <summary>Open taps of one officer across every visit (429 beyond).</summary>
    [Range(1, 256)]
    public int MaxTapsPerOfficer { get; set; } = 4;

    /// <summary>Concurrent <c>/api/officer/events</c> streams of one principal (429 beyond).</summary>
    [Range(1, 64)]
    public int MaxEventStreamsPerPrincipal { get; set; } = 4;

    /// <summary>Joins and leaves one participant token may make per <see cref="ParticipantWindow"/> (429 beyond).</summary>
    [Range(1, 1_000_000)]
    public int ParticipantRequests { get; set; } = 10;

    public TimeSpan ParticipantWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Participant tokens one principal may mint per <see cref="TokenWindow"/> (429 beyond).</summary>
    [Range(1, 1_000_000)]
    public int TokenRequests { get; set; } = 30;

    public TimeSpan TokenWindow { get; set; } = TimeSpan.FromMinutes(1);
}
