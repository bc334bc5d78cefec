namespace MediaServer.Visits;

/// <summary>
/// What one visit, one leg and one officer may take, decided before any port is bound: m-lines per leg, plain-RTP port pairs
/// per visit, taps per visit and per officer. A join or tap over a budget is refused with a 4xx that says which budget; the
/// rest of the server's port range stays for the other visits.
/// <para>
/// One live leg per participant needs no counter here: a participant's new leg replaces (and closes) its previous one under
/// the visit's membership lock, so the ports of a rejoin are the new offer's alone.
/// </para>
/// </summary>
public sealed class VisitBudgets(int maxVisitors, LimitOptions limits)
{
    private readonly Dictionary<string, int> _tapsByOfficer = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public JoinRefusal OfficerTapRefusal { get; } = new(ProblemTypes.TooManyTaps, 429, "Too many taps",
        $"An officer may have at most {limits.MaxTapsPerOfficer} taps open at once; close one first.");

    /// <summary>
    /// M-lines a plain-RTP leg may offer: its own audio and video, and one of each for every other party (docs/api.md's slot
    /// rule). A plain client cannot use more: each further m-line would only hold a port pair.
    /// </summary>
    public static int PlainLegMedia(Visit visit) => 2 + (2 * (visit.Participants.Count - 1));

    /// <summary>
    /// M-lines a WebRTC leg may offer: the visit page offers slots for the largest visit whatever this one's size; they all
    /// share the one WebRTC port, so they cost no port pairs.
    /// </summary>
    public int WebRtcLegMedia(Visit visit) => 2 + (2 * Math.Max(visit.Participants.Count - 1, maxVisitors));

    /// <summary>M-lines a tap may offer: one video and one audio slot per party.</summary>
    public static int TapMedia(Visit visit) => 2 * visit.Participants.Count;

    /// <summary>Plain-RTP port pairs the open legs and taps of a visit may hold together.</summary>
    public int VisitPortPairs(Visit visit) => (visit.Participants.Count * PlainLegMedia(visit)) + (limits.MaxTapsPerVisit * TapMedia(visit));

    /// <summary>The refusal of a join over a budget (held: the visit's membership lock), or null.</summary>
    public JoinRefusal? CheckJoin(Visit visit, Participant participant, MediaOffer offer)
    {
        var media = CountMedia(offer);
        var allowed = offer.IsWebRtc ? WebRtcLegMedia(visit) : PlainLegMedia(visit);
        if (media > allowed)
        {
            return new JoinRefusal(ProblemTypes.TooManyMLines, 400, "Too many m-lines",
                $"A {(offer.IsWebRtc ? "WebRTC" : "plain-RTP")} offer for this visit may carry at most {allowed} m-lines "
                + $"(the party's own audio and video and one of each for every other party); this one has {media}.");
        }
        if (offer.IsWebRtc)
        {
            return null;
        }
        // The participant's current leg is replaced by this one, so its ports do not count against the new offer.
        var current = visit.LatestLeg(participant.Id);
        var held = HeldPortPairs(visit, except: current is { IsClosed: false } ? current : null);
        return held + media > VisitPortPairs(visit) ? PortBudgetRefusal(visit, held, media) : null;
    }

    /// <summary>The refusal of a tap over a budget (held: the visit's membership lock), or null.</summary>
    public JoinRefusal? CheckTap(Visit visit, MediaOffer offer)
    {
        var open = visit.OpenTaps().Count;
        if (open >= limits.MaxTapsPerVisit)
        {
            return new JoinRefusal(ProblemTypes.TooManyTaps, 409, "Too many taps",
                $"This visit already has {open} taps open; at most {limits.MaxTapsPerVisit} may watch one visit at once.");
        }
        var media = CountMedia(offer);
        if (media > TapMedia(visit))
        {
            return new JoinRefusal(ProblemTypes.TooManyMLines, 400, "Too many m-lines",
                $"A tap of this visit may offer at most {TapMedia(visit)} m-lines (one video and one audio slot per party); this one has {media}.");
        }
        if (offer.IsWebRtc)
        {
            return null;
        }
        var held = HeldPortPairs(visit, except: null);
        return held + media > VisitPortPairs(visit) ? PortBudgetRefusal(visit, held, media) : null;
    }

    /// <summary>Takes one of the officer's tap allowance; false when it is used up.</summary>
    public bool TryReserveTap(string officerId)
    {
        lock (_lock)
        {
            var open = _tapsByOfficer.GetValueOrDefault(officerId);
            if (open >= limits.MaxTapsPerOfficer)
            {
                return false;
            }
            _tapsByOfficer[officerId] = open + 1;
            return true;
        }
    }

    /// <summary>Gives back one of the officer's taps (the tap closed, or did not open).</summary>
    public void ReleaseTap(string officerId)
    {
        lock (_lock)
        {
            var open = _tapsByOfficer.GetValueOrDefault(officerId);
            if (open <= 1)
            {
                _tapsByOfficer.Remove(officerId);
            }
            else
            {
                _tapsByOfficer[officerId] = open - 1;
            }
        }
    }

    /// <summary>Open taps of one officer (for tests and metrics).</summary>
    public int TapsOf(string officerId)
    {
        lock (_lock)
        {
            return _tapsByOfficer.GetValueOrDefault(officerId);
        }
    }

    /// <summary>Port pairs a plain answer binds: one per m-line it accepts (WebRTC answers bind none).</summary>
    public static int PortPairsOf(IReadOnlyList<AnsweredMedia>? answer)
    {
        var pairs = 0;
        if (answer is not null)
        {
            foreach (var media in answer)
            {
                pairs += media.Port != 0 ? 1 : 0;
            }
        }
        return pairs;
    }

    /// <summary>M-lines of the offer that would take a slot (those the client rejected with port 0 take nothing).</summary>
    private static int CountMedia(MediaOffer offer)
    {
        var count = 0;
        foreach (var media in offer.Media)
        {
            count += offer.IsWebRtc || media.Port != 0 ? 1 : 0;
        }
        return count;
    }

    private static int HeldPortPairs(Visit visit, Leg? except)
    {
        var held = 0;
        foreach (var leg in visit.OpenLegs())
        {
            held += ReferenceEquals(leg, except) ? 0 : leg.PortPairs;
        }
        foreach (var tap in visit.OpenTaps())
        {
            held += tap.PortPairs;
        }
        return held;
    }

    private JoinRefusal PortBudgetRefusal(Visit visit, int held, int media) => new(ProblemTypes.PortBudgetExhausted, 409, "Port budget exhausted",
        $"This visit's legs and taps hold {held} of its {VisitPortPairs(visit)} RTP port pairs; this offer needs {media} more.");
}
