namespace MediaServer.Recording.Review;

/// <summary>An interval longer than a second in which a track delivered no packets, on the server's wall clock.</summary>
public sealed record RecordingGap(uint TrackId, string Participant, string Kind, DateTimeOffset From, DateTimeOffset To);

/// <summary>
/// How a track was placed on the timeline: <c>rtcp-sr</c> when its sender's RTCP sender reports mapped every packet;
/// <c>rtcp-sr-reanchored</c> when the reports gave the timing but placed media after it had arrived, so the arrival
/// times set where it starts; <c>arrival</c> when some or all of it had no sender report and arrival times were used;
/// <c>none</c> when the track carried no media.
/// </summary>
public sealed record TrackAlignment(uint TrackId, string Participant, string Role, string Kind, string Codec, string Alignment)
{
    public const string SenderReports = "rtcp-sr";
    public const string SenderReportsReanchored = "rtcp-sr-reanchored";
    public const string Arrival = "arrival";
    public const string NoMedia = "none";
}

/// <summary>A party of the visit as the review copy shows it: one tile, in this order.</summary>
public sealed record RecordingParty(string Participant, string Role, string? Name, IReadOnlyList<uint> TrackIds);

/// <summary>
/// What a journal holds, placed on one timeline: from the first media packet to the end of the recording, on the
/// server's wall clock. Tracks are aligned by their senders' RTCP sender reports where they sent any.
/// </summary>
public sealed record JournalTimeline(
    DateTimeOffset Start,
    DateTimeOffset End,
    IReadOnlyList<TrackAlignment> Tracks,
    IReadOnlyList<RecordingGap> Gaps)
{
    public TimeSpan Duration => End - Start;

    public string? VisitId { get; init; }

    /// <summary>Kiosk first, then visitors in the order they joined.</summary>
    public IReadOnlyList<RecordingParty> Parties { get; init; } = [];

    /// <summary>How the journal ended: <c>EndOfData</c> when whole, otherwise where reading stopped.</summary>
    public string JournalEnding { get; init; } = "EndOfData";

    /// <summary>Per-track timing for the renderer, in track-id order.</summary>
    internal IReadOnlyList<TrackTimeline> TrackTimelines { get; init; } = [];

    internal long StartMicroseconds { get; init; }

    internal long EndMicroseconds { get; init; }
}

/// <summary>Where each RTP record of a track goes: its stream segment, extended sequence number and time.</summary>
/// <param name="Segment">Index into <see cref="TrackTimeline.Segments"/>; -1 for a packet that is not media (another payload type, unparseable).</param>
/// <param name="ExtendedSequence">RFC 3550 §A.1: the sequence number with its wrap count, within the segment.</param>
/// <param name="WallMicroseconds">Server wall-clock time of the packet's media, microseconds since 1970.</param>
internal readonly record struct PacketTiming(int Segment, long ExtendedSequence, long WallMicroseconds);

/// <summary>A run of one RTP stream (one SSRC, continuous timestamps) within a track.</summary>
/// <param name="ReanchoredMicroseconds">How far the sender-report mapping was moved because it placed media after its arrival (0: not moved).</param>
internal sealed record StreamSegment(uint Ssrc, bool AlignedBySenderReports, int SenderReportCount, long ReanchoredMicroseconds);

internal sealed record TrackTimeline(
    uint TrackId,
    string Participant,
    string Role,
    string Kind,
    string Codec,
    byte PayloadType,
    int ClockRate,
    string Alignment,
    IReadOnlyList<StreamSegment> Segments,
    PacketTiming[] Packets);
