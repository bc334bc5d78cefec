namespace MediaServer.Visits;

/// <summary>
/// Told what happens to visits (the recorder keeps a journal of it; a monitor may show it): a visit went live, a party's leg
/// joined or left, an officer flagged it (<see cref="IVisitFlagSink.OnFlag"/>), the visit ended. Joined, left and ended are
/// called under the visit's membership lock, in the order they happen, before the leg's sockets start (joined) and before
/// the lock is given up; an implementation must not block and must not take the visit's lock itself. Each member does
/// nothing unless implemented.
/// </summary>
public interface IVisitObserver : IVisitFlagSink
{
    /// <summary>The visit's first media arrived: it is live.</summary>
    void OnLive(Visit visit)
    {
    }

    /// <summary>A party joined (after every <see cref="IJoinGate"/> let it): its leg is attached, its sockets not yet started.</summary>
    void OnJoined(Visit visit, Leg leg)
    {
    }

    /// <summary>A party's leg closed (left, lost, or closed by the server), with why.</summary>
    void OnLeft(Visit visit, Leg leg, string why)
    {
    }

    /// <summary>The visit is over (ended on schedule, everybody left, or terminated), with the reason.</summary>
    void OnEnded(Visit visit, string reason)
    {
    }

    /// <summary>
    /// An entry was added to the visit's timeline (<see cref="Timeline.VisitTimeline"/>), in order; called under the timeline's
    /// lock of that visit (and often the membership lock): must not block.
    /// </summary>
    void OnTimeline(Visit visit, Timeline.TimelineEntry entry)
    {
    }

    void IVisitFlagSink.OnFlag(Visit visit, VisitFlag flag)
    {
    }
}

/// <summary>
/// Asked before every join whether the visit may take it: a visit that must be recorded and cannot be is refused (the
/// recorder's <c>OnFailure=refuse</c>: 503, <see cref="ProblemTypes.RecordingUnavailable"/>). Called under the visit's
/// membership lock, before any port is taken.
/// </summary>
public interface IJoinGate
{
    /// <summary>Null when the join may go on; otherwise the refusal the party is answered with.</summary>
    JoinRefusal? PrepareJoin(Visit visit);

    /// <summary>
    /// A visit under way can no longer go on (its recording failed and the policy is refuse): raised off every lock with the
    /// visit id and the reason, and the visit is ended.
    /// </summary>
    event Action<string, string>? VisitMustEnd;
}
