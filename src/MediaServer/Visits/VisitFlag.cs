namespace MediaServer.Visits;

/// <summary>An officer's bookmark at one moment of a visit (docs/api.md, flags).</summary>
public sealed record VisitFlag(DateTimeOffset At, string By, string Note);

/// <summary>
/// Told of every flag as it is created, after it is stored (the recorder writes it into the visit's recording). Called on
/// the request's thread; an implementation must not block for long, and an exception it throws is logged, not returned.
/// </summary>
public interface IVisitFlagSink
{
    void OnFlag(Visit visit, VisitFlag flag);
}
