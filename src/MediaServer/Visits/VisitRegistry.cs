using System.Collections.Concurrent;
using System.Security.Cryptography;
using MediaServer.Storage;

namespace MediaServer.Visits;

/// <summary>
/// Every visit the process knows. Each scheduled or live visit is one object in memory, loaded at start (all of them: no
/// cap) and shared by every request, the lifecycle tick and the relay. A visit that finishes leaves memory: it stays in a
/// small cache of the most recently finished (so the API still shows its final connection figures for a while), and
/// after that it is read from SQLite when asked for. The store is written on every state change, so a restart sees the truth.
/// </summary>
public sealed class VisitRegistry
{
    /// <summary>Finished visits kept in memory with their legs' final statistics; older ones are read from SQLite.</summary>
    public const int FinishedCacheSize = 16;

    private readonly ConcurrentDictionary<string, Visit> _visits = new(StringComparer.Ordinal);
    private readonly LinkedList<Visit> _finished = new();
    private readonly Lock _finishedLock = new();
    private readonly VisitStore _store;

    public VisitRegistry(VisitStore store)
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

    /// <summary>The visit's one live object when scheduled or live; a recently finished one; else whatever SQLite holds.</summary>
    public Visit? Get(string id)
    {
        if (_visits.TryGetValue(id, out var visit))
        {
            return visit;
        }
        return FindFinished(id) ?? _store.Load(id);
    }

    private Visit? FindFinished(string id)
    {
        lock (_finishedLock)
        {
            foreach (var finished in _finished)
            {
                if (finished.Id == id)
                {
                    return finished;
                }
            }
            return null;
        }
    }

    /// <summary>Visits held in memory that are not yet over (scheduled and live): what the lifecycle tick and the console walk.</summary>
    public IReadOnlyCollection<Visit> InMemory => (IReadOnlyCollection<Visit>)_visits.Values;

    /// <summary>How many visits are in memory: open ones and the bounded cache of finished ones.</summary>
    public (int Open, int Finished) Counts
    {
        get
        {
            lock (_finishedLock)
            {
                return (_visits.Count, _finished.Count);
            }
        }
    }

    /// <summary>
    /// Visits in <paramref name="state"/> (all when null). Scheduled and live ones come from memory (every one of them);
    /// finished ones from SQLite, the newest <see cref="VisitStore.FinishedListLimit"/>, preferring a cached object.
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
            foreach (var visit in stored)
            {
                // Prefer the cached object of a recently finished visit: it still has its legs' final statistics.
                result.Add(FindFinished(visit.Id) ?? visit);
            }
        }
        return result;
    }

    /// <summary>Writes the visit's state; a visit that is over moves out of the open set into the bounded finished cache.</summary>
    public void SaveState(Visit visit)
    {
        _store.UpdateState(visit);
        if (!visit.IsFinal)
        {
            return;
        }
        lock (_finishedLock)
        {
            _finished.AddFirst(visit);
            while (_finished.Count > FinishedCacheSize)
            {
                _finished.RemoveLast();
            }
        }
        _visits.TryRemove(visit.Id, out _);
    }
}
