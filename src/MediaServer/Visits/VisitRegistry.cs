using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace MediaServer.Visits;

/// <summary>
/// Every visit the process knows. Each scheduled or live visit is one object in memory, loaded at start (all of them: no
/// cap) and shared by every request, the lifecycle tick and the relay. A visit that finishes leaves memory with its legs,
/// sockets and packet caches: its final connection figures are stored with it, and it is read from the store when asked for.
/// The store is written on every state change, so a restart sees the truth.
/// </summary>
public sealed class VisitRegistry
{
    private readonly ConcurrentDictionary<string, Visit> _visits = new(StringComparer.Ordinal);
    private readonly IVisitStore _store;

    public VisitRegistry(IVisitStore store)
    {
        _store = store;
        foreach (var visit in store.LoadOpen())
        {
            _visits[visit.Id] = visit;
        }
    }

    public Visit Create(Person inmate, IReadOnlyList<Person> visitors, DateTimeOffset start, DateTimeOffset end, bool privileged, bool flagged, DateTimeOffset now)
    {
        var id = "v-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var visit = new Visit(id, inmate, visitors, start, end, privileged, flagged, now);
        _store.Insert(visit);
        _visits[id] = visit;
        return visit;
    }

    /// <summary>The visit's one object when scheduled or live; a finished one as SQLite holds it.</summary>
    public Visit? Get(string id) => _visits.TryGetValue(id, out var visit) ? visit : _store.Load(id);

    /// <summary>Visits held in memory that are not yet over (scheduled and live): what the lifecycle tick and the console walk.</summary>
    public IReadOnlyCollection<Visit> InMemory => (IReadOnlyCollection<Visit>)_visits.Values;

    /// <summary>How many visits are in memory (scheduled and live: finished ones are not).</summary>
    public int Count => _visits.Count;

    /// <summary>
    /// Visits in <paramref name="state"/> (all when null). Scheduled and live ones come from memory (every one of them);
    /// finished ones from SQLite, the newest <see cref="IVisitStore.FinishedListLimit"/>.
    /// </summary>
    public IReadOnlyList<Visit> List(VisitState? state)
    {
        var result = new List<Visit>();
        if (state is null or VisitState.Scheduled or VisitState.Live)
        {
            foreach (var visit in _visits.Values)
            {
                if (state is null ? !visit.IsFinal : visit.State == state)
                {
                    result.Add(visit);
                }
            }
        }
        if (state is null or VisitState.Ended or VisitState.Terminated)
        {
            var stored = state is { } s ? _store.LoadFinished(s) : _store.LoadFinished(VisitState.Ended, VisitState.Terminated);
            result.AddRange(stored);
        }
        return result;
    }

    /// <summary>Writes the visit's state; a visit that is over leaves memory (it is read from SQLite from now on).</summary>
    public void SaveState(Visit visit)
    {
        _store.UpdateState(visit);
        if (visit.IsFinal)
        {
            _visits.TryRemove(visit.Id, out _);
        }
    }
}
