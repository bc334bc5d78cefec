namespace MediaServer.Visits;

/// <summary>The names of <see cref="VisitState"/> as the API, the metrics and the database write them.</summary>
public static class VisitStates
{
    public static string Name(VisitState state) => state switch
    {
        VisitState.Scheduled => "scheduled",
        VisitState.Live => "live",
        VisitState.Ended => "ended",
        VisitState.Terminated => "terminated",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    public static bool TryParse(string? text, out VisitState state)
    {
        state = default;
        switch (text)
        {
            case "scheduled": state = VisitState.Scheduled; return true;
            case "live": state = VisitState.Live; return true;
            case "ended": state = VisitState.Ended; return true;
            case "terminated": state = VisitState.Terminated; return true;
            default: return false;
        }
    }
}
