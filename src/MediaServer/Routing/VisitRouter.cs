namespace MediaServer.Routing;

/// <summary>
/// Decides who receives whom in one visit. Every party receives every other party and never itself: a receiver's slots of a
/// kind are filled kiosk first, then visitors in the order they first joined (api.md, SDP rules). A slot keeps its party while
/// that party is away, so a re-join lands in the same slot with a continuous stream; an unused slot takes a party that joins
/// later. All of this runs on the control path under one lock; the packet path sees only the subscriber arrays it publishes.
/// </summary>
public sealed class VisitRouter(string visitId)
{
    private readonly Lock _lock = new();
    private readonly List<RouterParty> _parties = [];
    private readonly Dictionary<string, int> _joinOrder = new(StringComparer.Ordinal);

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

    /// <summary>Removes every party (terminate, scheduled end).</summary>
    public void DetachAll()
    {
        lock (_lock)
        {
            foreach (var party in _parties)
            {
                Silence(party);
            }
            _parties.Clear();
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
        foreach (var sender in ordered)
        {
            Publish(sender.Video, ordered);
            Publish(sender.Audio, ordered);
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

    private static void Publish(Track? track, List<RouterParty> ordered)
    {
        if (track is null)
        {
            return;
        }
        var subscribers = ordered
            .SelectMany(p => p.SlotsOf(track.Kind))
            .Where(s => ReferenceEquals(s.Source, track))
            .ToArray();
        track.SetSubscribers(subscribers);
    }
}
