namespace MediaServer.Visits.Timeline;

/// <summary>
/// The cold sampler (<see cref="TimelineSampler"/>, about once a second): per open leg, media flowing (first packet from and
/// to the party), the seconds it flowed both ways (<see cref="MediaSeconds"/>), a party's return after a drop (the first media
/// of its new leg), and a quality sample every <see cref="QualityInterval"/>. Reads counters the packet path keeps anyway.
/// </summary>
public sealed partial class VisitTimeline
{
    /// <summary>How long a sending party's open leg may bring no media before the party counts as reconnecting (media-stalled).</summary>
    public static readonly TimeSpan StallAfter = TimeSpan.FromSeconds(3);

    /// <summary>Samples every open leg of every visit that is not over.</summary>
    public void Sample(DateTimeOffset now)
    {
        foreach (var visit in registry.InMemory)
        {
            if (visit.IsFinal)
            {
                continue;
            }
            var legs = visit.OpenLegs();
            if (legs.Count == 0)
            {
                continue;
            }
            var line = LineOf(visit);
            lock (line.Gate)
            {
                foreach (var leg in legs)
                {
                    var party = line.PartyOf(leg.Participant.Id);
                    SampleLeg(line, visit, leg, party, now);
                    if (party.SavedAt is not { } saved || now - saved >= SaveInterval)
                    {
                        SaveMedia(visit, leg.Participant.Id, party, now);
                    }
                }
            }
        }
    }

    /// <summary>Held gate: one sample of one leg.</summary>
    private void SampleLeg(Line line, Visit visit, Leg leg, Party party, DateTimeOffset now)
    {
        var counters = leg.Party.Counters;
        var packetsIn = counters.PacketsIn;
        var packetsOut = counters.PacketsOut;
        var before = party.Media.InSeconds;
        party.Media.Sample(leg.Id, leg.CreatedAt, packetsIn, packetsOut, now);
        if (party.Media.InSeconds > before)
        {
            party.LastMediaAt = now;
        }
        if (packetsIn > 0 && party.MediaInLeg != leg.Id)
        {
            party.MediaInLeg = leg.Id;
            party.LastMediaAt = now;
            Append(line, visit, new TimelineEntry(0, now, TimelineKinds.MediaIn, leg.Participant.Id, leg.Id, "first packet from the party"));
            if (party.Away is { } away && away.LegId != leg.Id)
            {
                // A new leg's media: the party is back (a same-leg return, an ICE restart, is told by its caller).
                party.Away = null;
                Append(line, visit, new TimelineEntry(0, now, TimelineKinds.Reconnected, leg.Participant.Id, leg.Id)
                {
                    Cause = TimelineKinds.Name(away.Cause),
                    Seconds = Math.Round(Math.Max(0, (now - away.Since).TotalSeconds), 1),
                });
            }
        }
        else if (packetsIn > 0 && party.MediaInLeg == leg.Id)
        {
            SampleStall(line, visit, leg, party, now, resumed: party.Media.InSeconds > before);
        }
        if (packetsOut > 0 && party.MediaOutLeg != leg.Id)
        {
            party.MediaOutLeg = leg.Id;
            Append(line, visit, new TimelineEntry(0, now, TimelineKinds.MediaOut, leg.Participant.Id, leg.Id, "first packet to the party"));
        }
        SampleQuality(line, visit, leg, party, now);
    }

    /// <summary>
    /// Held gate: a leg that had media and brings none for <see cref="StallAfter"/> makes its party reconnecting (since its
    /// last media); media again on the same leg makes it reconnected. A drop another cause already told is left to its teller.
    /// </summary>
    private void SampleStall(Line line, Visit visit, Leg leg, Party party, DateTimeOffset now, bool resumed)
    {
        if (party.Away is { Cause: ReconnectCause.MediaStalled } stall && stall.LegId == leg.Id)
        {
            if (resumed)
            {
                party.Away = null;
                Append(line, visit, new TimelineEntry(0, now, TimelineKinds.Reconnected, leg.Participant.Id, leg.Id)
                {
                    Cause = TimelineKinds.Name(ReconnectCause.MediaStalled),
                    Seconds = Math.Round(Math.Max(0, (now - stall.Since).TotalSeconds), 1),
                });
            }
            return;
        }
        if (party.Away is null && !resumed && party.LastMediaAt is { } last && now - last >= StallAfter)
        {
            party.Away = new Away(ReconnectCause.MediaStalled, last, leg.Id);
            Append(line, visit, new TimelineEntry(0, now, TimelineKinds.Reconnecting, leg.Participant.Id, leg.Id,
                "no media from the party since " + last.ToString("O", System.Globalization.CultureInfo.InvariantCulture))
            {
                Cause = TimelineKinds.Name(ReconnectCause.MediaStalled),
            });
        }
    }

    private void SampleQuality(Line line, Visit visit, Leg leg, Party party, DateTimeOffset now)
    {
        var counters = leg.Party.Counters;
        var expected = (leg.Party.Video?.Reception.Expected ?? 0) + (leg.Party.Audio?.Reception.Expected ?? 0);
        var received = (leg.Party.Video?.Reception.Received ?? 0) + (leg.Party.Audio?.Reception.Received ?? 0);
        if (party.QualityLeg != leg.Id)
        {
            party.QualityLeg = leg.Id;
            party.QualityFrom = now;
            (party.QualityBytesIn, party.QualityBytesOut, party.QualityExpected, party.QualityReceived) = (counters.BytesIn, counters.BytesOut, expected, received);
            return;
        }
        var seconds = (now - party.QualityFrom).TotalSeconds;
        if (seconds < QualityInterval.TotalSeconds || counters.PacketsIn == 0)
        {
            return;
        }
        double? roundTripMs = null;
        foreach (var slot in leg.Party.VideoSlots.Concat(leg.Party.AudioSlots))
        {
            if (slot.RoundTrip is { } rtt)
            {
                roundTripMs = Math.Max(roundTripMs ?? 0, rtt.TotalMilliseconds);
            }
        }
        var expectedInterval = expected - party.QualityExpected;
        var lostInterval = Math.Max(0, expectedInterval - (received - party.QualityReceived));
        var quality = new TimelineQuality(
            expectedInterval <= 0 ? 0 : Math.Round(100.0 * lostInterval / expectedInterval, 2),
            LegSummary.Of(leg).Jitter, // the larger of its tracks' interarrival jitter, in ms (RFC 3550 A.8)
            roundTripMs is { } r ? Math.Round(r, 1) : null,
            Math.Round((counters.BytesIn - party.QualityBytesIn) * 8 / seconds / 1000, 1),
            Math.Round((counters.BytesOut - party.QualityBytesOut) * 8 / seconds / 1000, 1));
        party.QualityFrom = now;
        (party.QualityBytesIn, party.QualityBytesOut, party.QualityExpected, party.QualityReceived) = (counters.BytesIn, counters.BytesOut, expected, received);
        Append(line, visit, new TimelineEntry(0, now, TimelineKinds.Quality, leg.Participant.Id, leg.Id) { Quality = quality });
    }
}
