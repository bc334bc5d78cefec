namespace MediaServer.Routing;

/// <summary>
/// Decides who receives whom in one visit. Every party receives every other party and never itself: a receiver's slots of a
/// kind are filled kiosk first, then visitors in the order they first joined (docs/api.md, SDP rules). A slot keeps its party while
/// that party is away, so a re-join lands in the same slot with a continuous stream; an unused slot takes a party that joins
/// later. All of this runs on the control path under one lock; the packet path sees only the subscriber arrays it publishes.
/// <para>
/// Taps (officers' monitoring legs) are hidden receivers: their slots are filled by the same rule, but they are kept apart from
/// the parties, so nothing a participant sees — its slot assignment, <see cref="Parties"/>, the codecs a join is narrowed to —
/// changes when a tap comes or goes. A tap's slots are appended after every participant's slot in each track's subscriber
/// array, so the relay sends to the participants first. The router fills whatever slots a tap's <see cref="RouterParty"/>
/// lists: a tap whose audio is produced some other way (a mixer) lists, in place of its audio m-line, the hidden slots that
/// feed that producer.
/// </para>
/// </summary>
public sealed class VisitRouter(string visitId)
{
    private readonly Lock _lock = new();
    private readonly List<RouterParty> _parties = [];
    private readonly Dictionary<string, int> _joinOrder = new(StringComparer.Ordinal);
    private readonly List<RouterParty> _taps = [];

    public string VisitId { get; } = visitId;

    public int PartyCount
    {
        get
        {
            lock (_lock)
            {
                return _parties.Count;
            }
        }
    }

    public IReadOnlyList<RouterParty> Parties
    {
        get
        {
            lock (_lock)
            {
                return [.. _parties];
            }
        }
    }

    /// <summary>Adds a party (replacing an older leg of the same participant, which the caller closes) and re-routes.</summary>
    public void Attach(RouterParty party)
    {
        lock (_lock)
        {
            _parties.RemoveAll(p => p.ParticipantId == party.ParticipantId);
            if (!_joinOrder.TryGetValue(party.ParticipantId, out var order))
            {
                order = _joinOrder.Count;
                _joinOrder[party.ParticipantId] = order;
            }
            party.JoinOrder = order;
            _parties.Add(party);
            Reroute();
        }
    }

    /// <summary>Removes a party; its tracks stop forwarding at once. Returns the number of parties left.</summary>
    public int Detach(RouterParty party)
    {
        lock (_lock)
        {
            if (_parties.Remove(party))
            {
                Silence(party);
                Reroute();
            }
            return _parties.Count;
        }
    }

    /// <summary>Removes every party and every tap (terminate, scheduled end).</summary>
    public void DetachAll()
    {
        lock (_lock)
        {
            foreach (var party in _parties)
            {
                Silence(party);
            }
            _parties.Clear();
            foreach (var tap in _taps)
            {
                Silence(tap);
            }
            _taps.Clear();
        }
    }

    public int TapCount
    {
        get
        {
            lock (_lock)
            {
                return _taps.Count;
            }
        }
    }

    /// <summary>
    /// Adds a hidden receiver (a tap): its slots take the parties kiosk first, then visitors in join order; the parties'
    /// own slots are not touched. A tap publishes nothing.
    /// </summary>
    public void AttachTap(RouterParty tap)
    {
        if (tap.Video is not null || tap.Audio is not null)
        {
            throw new ArgumentException("A tap receives only; it has no tracks.", nameof(tap));
        }
        lock (_lock)
        {
            if (!_taps.Contains(tap))
            {
                _taps.Add(tap);
            }
            Reroute();
        }
    }

    /// <summary>Removes a tap; its slots stop receiving at once.</summary>
    public void DetachTap(RouterParty tap)
    {
        lock (_lock)
        {
            if (_taps.Remove(tap))
            {
                Silence(tap);
                Reroute();
            }
        }
    }

    private static void Silence(RouterParty party)
    {
        party.Video?.SetSubscribers([]);
        party.Audio?.SetSubscribers([]);
        foreach (var slot in party.VideoSlots)
        {
            slot.SetSource(null);
        }
        foreach (var slot in party.AudioSlots)
        {
            slot.SetSource(null);
        }
    }

    private void Reroute()
    {
        var ordered = _parties.OrderBy(p => p.IsKiosk ? 0 : 1).ThenBy(p => p.JoinOrder).ToList();
        foreach (var receiver in ordered)
        {
            Assign(receiver, MediaKind.Video, ordered);
            Assign(receiver, MediaKind.Audio, ordered);
        }
        // Taps last, and only as receivers: the parties' assignment above is exactly what it would be without them.
        foreach (var tap in _taps)
        {
            Assign(tap, MediaKind.Video, ordered);
            Assign(tap, MediaKind.Audio, ordered);
        }
        foreach (var sender in ordered)
        {
            Publish(sender.Video, ordered, _taps);
            Publish(sender.Audio, ordered, _taps);
        }
    }

    private static void Assign(RouterParty receiver, MediaKind kind, List<RouterParty> ordered)
    {
        var senders = ordered.Where(p => p.ParticipantId != receiver.ParticipantId && p.TrackOf(kind) is not null).ToList();
        var slots = receiver.SlotsOf(kind);
        var placed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var slot in slots)
        {
            if (slot.AssignedParticipantId is { } id && senders.Any(s => s.ParticipantId == id))
            {
                placed.Add(id);
            }
        }
        foreach (var sender in senders)
        {
            if (placed.Contains(sender.ParticipantId))
            {
                continue;
            }
            var slot = slots.FirstOrDefault(s => s.AssignedParticipantId is null)
                ?? slots.FirstOrDefault(s => !senders.Any(p => p.ParticipantId == s.AssignedParticipantId))
                ?? LowestRankedBelow(slots, senders, sender);
            if (slot is null)
            {
                continue; // More parties than slots, all held by parties who rank higher: the offer chose so.
            }
            if (slot.AssignedParticipantId is { } evicted)
            {
                placed.Remove(evicted);
            }
            slot.AssignedParticipantId = sender.ParticipantId;
            placed.Add(sender.ParticipantId);
        }
        foreach (var slot in slots)
        {
            var source = senders.FirstOrDefault(p => p.ParticipantId == slot.AssignedParticipantId)?.TrackOf(kind);
            slot.SetSource(source);
        }
    }

    /// <summary>
    /// The slot held by the lowest-ranked sender that ranks below <paramref name="sender"/>: a browser that offers one slot per
    /// kind must get the kiosk even if a visitor took that slot before the kiosk joined.
    /// </summary>
    private static ReceiverSlot? LowestRankedBelow(IReadOnlyList<ReceiverSlot> slots, List<RouterParty> senders, RouterParty sender)
    {
        var rank = senders.IndexOf(sender);
        ReceiverSlot? chosen = null;
        var chosenRank = rank;
        foreach (var slot in slots)
        {
            var holderRank = senders.FindIndex(p => p.ParticipantId == slot.AssignedParticipantId);
            if (holderRank > chosenRank)
            {
                chosen = slot;
                chosenRank = holderRank;
            }
        }
        return chosen;
    }

    private static void Publish(Track? track, List<RouterParty> ordered, List<RouterParty> taps)
    {
        if (track is null)
        {
            return;
        }
        var subscribers = ordered
            .Concat(taps)
            .SelectMany(p => p.SlotsOf(track.Kind))
            .Where(s => ReferenceEquals(s.Source, track))
            .ToArray();
        track.SetSubscribers(subscribers);
    }
}
