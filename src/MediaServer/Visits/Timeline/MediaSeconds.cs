namespace MediaServer.Visits.Timeline;

/// <summary>
/// The seconds one party had media, from samples of its leg's packet counters taken about once a second on a cold timer
/// (the packet path is untouched). An interval counts for a direction when that counter moved during it, and for "both ways"
/// when both did; an interval counts for at most <see cref="MaxInterval"/>, so a sampler that was held up (a loaded host)
/// neither loses the media nor credits a long pause. A new leg (a rejoin) starts its counters from zero.
/// </summary>
public sealed class MediaSeconds
{
    /// <summary>The longest interval one sample credits.</summary>
    public static readonly TimeSpan MaxInterval = TimeSpan.FromSeconds(2);

    private string? _legId;
    private long _lastIn;
    private long _lastOut;
    private DateTimeOffset _lastAt;

    public double InSeconds { get; private set; }
    public double OutSeconds { get; private set; }
    public double BothSeconds { get; private set; }

    /// <summary>Starts from saved totals (a visit resumed after a restart).</summary>
    public void Restore(double inSeconds, double outSeconds, double bothSeconds)
    {
        InSeconds = inSeconds;
        OutSeconds = outSeconds;
        BothSeconds = bothSeconds;
    }

    /// <summary>
    /// One sample of leg <paramref name="legId"/> (created at <paramref name="legCreatedAt"/>): its packets from and to the party
    /// so far. Returns whether media went both ways during the interval.
    /// </summary>
    public bool Sample(string legId, DateTimeOffset legCreatedAt, long packetsIn, long packetsOut, DateTimeOffset now)
    {
        if (!string.Equals(legId, _legId, StringComparison.Ordinal))
        {
            _legId = legId;
            _lastIn = 0;
            _lastOut = 0;
            _lastAt = legCreatedAt;
        }
        var interval = now - _lastAt;
        var seconds = interval <= TimeSpan.Zero ? 0 : Math.Min(interval.TotalSeconds, MaxInterval.TotalSeconds);
        var gotIn = packetsIn > _lastIn;
        var gotOut = packetsOut > _lastOut;
        _lastIn = packetsIn;
        _lastOut = packetsOut;
        _lastAt = now;
        InSeconds += gotIn ? seconds : 0;
        OutSeconds += gotOut ? seconds : 0;
        BothSeconds += gotIn && gotOut ? seconds : 0;
        return gotIn && gotOut;
    }
}
