using System.Collections.Concurrent;
using System.Security.Cryptography;
using MediaServer.Storage;

namespace MediaServer.Visits;

/// <summary>
/// Every visit the process knows: those scheduled or live are held in memory (loaded at start), finished ones are read from
/// SQLite when asked for. The store is written on every state change, so a restart sees the truth.
/// </summary>
public sealed class VisitRegistry
{
    private readonly ConcurrentDictionary<string, Visit> _visits = new(StringComparer.Ordinal);
    private readonly VisitStore _store;

    public VisitRegistry(VisitStore store)
    {
        _store = store;
        foreach (var visit in store.LoadByState(VisitState.Scheduled, VisitState.Live))
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

    public Visit? Get(string id)
    {
        if (_visits.TryGetValue(id, out var visit))
        {
            return visit;
        }
        return _store.Load(id);
    }

    /// <summary>Visits held in memory (scheduled, live, and those that finished while this process ran).</summary>
    public IReadOnlyCollection<Visit> InMemory => (IReadOnlyCollection<Visit>)_visits.Values;

    public IReadOnlyList<Visit> List(VisitState? state)
    {
        var stored = state is { } s ? _store.LoadByState(s) : _store.LoadByState();
        var result = new List<Visit>(stored.Count);
        foreach (var visit in stored)
        {
            // Prefer the live object: it has legs and statistics.
            var current = _visits.TryGetValue(visit.Id, out var live) ? live : visit;
            if (state is null || current.State == state)
            {
                result.Add(current);
            }
        }
        return result;
    }

    public void SaveState(Visit visit) => _store.UpdateState(visit);
}
