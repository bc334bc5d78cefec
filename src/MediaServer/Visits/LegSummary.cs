using MediaServer.Media;
using MediaServer.Routing;

namespace MediaServer.Visits;

/// <summary>
/// What the API shows of a participant's connection: for a live visit read from its latest leg, for a finished one stored
/// with the visit when it ended (so the figures outlive the leg, its sockets and its packet caches).
/// </summary>
public sealed record LegSummary(string State, long PacketsIn, long PacketsOut, long BytesIn, long BytesOut, long Loss, double Jitter, double BitrateKbps)
{
    public static readonly LegSummary Waiting = new("waiting", 0, 0, 0, 0, 0, 0, 0);

    public static LegSummary Of(Leg? leg)
    {
        if (leg is null)
        {
            return Waiting;
        }
        var counters = leg.Party.Counters;
        long lost = 0;
        double jitterMs = 0;
        foreach (var track in new[] { leg.Party.Video, leg.Party.Audio })
        {
            if (track is null)
            {
                continue;
            }
            lost += track.Reception.Lost;
            var clock = track.Kind == MediaKind.Video ? 90000.0 : 48000.0;
            jitterMs = Math.Max(jitterMs, track.Reception.Jitter / clock * 1000);
        }
        var state = leg.StateName;
        return new LegSummary(state, counters.PacketsIn, counters.PacketsOut, counters.BytesIn, counters.BytesOut, lost,
            Math.Round(jitterMs, 2), Math.Round(leg.IsClosed ? 0 : leg.BitrateInKbps(), 1));
    }
}
