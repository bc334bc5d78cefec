using System.Diagnostics;

namespace MediaServer.Routing;

/// <summary>
/// The bounds a receiver's feedback is answered within (<see cref="RelayOptions"/>, in the units the packet path uses): how many
/// packets one NACK may bring back, how often one packet may be resent, the retransmission byte budget, and the floors of the
/// bandwidth estimates passed to senders. Immutable; one instance is shared by every slot and track.
/// </summary>
public sealed class FeedbackPolicy
{
    /// <summary>Shortest round trip believed from a receiver's reports: below it a packet could be asked for again at once.</summary>
    public static readonly TimeSpan MinRtt = TimeSpan.FromMilliseconds(10);

    /// <summary>Longest round trip believed from a receiver's reports (a later answer is of no use to a receiver anyway).</summary>
    public static readonly TimeSpan MaxRtt = TimeSpan.FromSeconds(1);

    public static FeedbackPolicy Default { get; } = new(new RelayOptions());

    public FeedbackPolicy(RelayOptions options)
    {
        if (options.Problem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }
        MaxNackPackets = options.MaxNackPackets;
        DefaultRttTicks = (long)(options.DefaultRtt.TotalSeconds * Stopwatch.Frequency);
        RetransmitShare = options.RetransmitShare;
        RetransmitFloorBytesPerSecond = options.RetransmitFloorBitrate / 8.0;
        RetransmitBurstBytes = options.RetransmitBurstBytes;
        MinRembBitrate = options.MinRembBitrate;
        RecordingMinRembBitrate = options.RecordingMinRembBitrate;
    }

    public int MaxNackPackets { get; }

    /// <summary><see cref="RelayOptions.DefaultRtt"/> in <see cref="Stopwatch"/> ticks.</summary>
    public long DefaultRttTicks { get; }

    public double RetransmitShare { get; }

    public double RetransmitFloorBytesPerSecond { get; }

    public int RetransmitBurstBytes { get; }

    public long MinRembBitrate { get; }

    public long RecordingMinRembBitrate { get; }

    /// <summary>
    /// What a sender is told it may send (draft-alvestrand-rmcat-remb §2): the lowest receiver estimate, but never below
    /// <see cref="MinRembBitrate"/>, and, while the sender's track is recorded, never below <see cref="RecordingMinRembBitrate"/>,
    /// so one receiver's low (or hostile) estimate cannot starve the other receivers, the taps or the recording. A receiver that
    /// really can take less loses packets on its own link and asks for a keyframe; nobody else pays for it.
    /// </summary>
    public long RembFor(long lowestEstimate, bool recorded)
    {
        var floor = recorded ? Math.Max(MinRembBitrate, RecordingMinRembBitrate) : MinRembBitrate;
        return Math.Max(lowestEstimate, floor);
    }
}
