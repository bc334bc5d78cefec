using Microsoft.Extensions.Logging;

namespace MediaServer.Visits;

/// <summary>
/// Creates officers' flags: stored first (the bookmark exists even if a sink fails), then handed to every
/// <see cref="IVisitFlagSink"/> (the recorder writes it into the visit's recording).
/// </summary>
public sealed partial class VisitFlags(IFlagStore store, IEnumerable<IVisitFlagSink> sinks, TimeProvider time, ILogger<VisitFlags> logger)
{
    /// <summary>A note longer than this is refused (a bookmark, not a report).</summary>
    public const int MaxNoteLength = 2000;

    private readonly IVisitFlagSink[] _sinks = [.. sinks];

    public VisitFlag Create(Visit visit, string by, string note)
    {
        var flag = new VisitFlag(time.GetUtcNow(), by, note);
        store.Insert(visit.Id, flag);
        foreach (var sink in _sinks)
        {
            try
            {
                sink.OnFlag(visit, flag);
            }
            catch (Exception e)
            {
                // Stored already: one failing consumer must not lose the flag for the others, nor fail the officer's request.
                LogSinkFailed(logger, e, visit.Id, sink.GetType().Name);
            }
        }
        return flag;
    }

    public IReadOnlyList<VisitFlag> For(Visit visit) => store.ForVisit(visit.Id);

    public IReadOnlyDictionary<string, List<VisitFlag>> For(IReadOnlyCollection<string> visitIds) => store.ForVisits(visitIds);

    [LoggerMessage(EventId = 340, Level = LogLevel.Error, Message = "Visit {VisitId}: flag sink {Sink} failed")]
    private static partial void LogSinkFailed(ILogger logger, Exception exception, string visitId, string sink);
}
