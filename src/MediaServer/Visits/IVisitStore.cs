namespace MediaServer.Visits;

/// <summary>
/// Where visits are kept (Storage implements it in SQLite): the schedule and parties as the officer wrote them, the lifecycle
/// state, and once a visit is over its final connection figures.
/// </summary>
public interface IVisitStore
{
    /// <summary>The newest finished visits <see cref="LoadFinished"/> returns (a visit list); older ones are still found by id.</summary>
    const int FinishedListLimit = 1000;

    void Insert(Visit visit);

    /// <summary>
    /// Opens the store and runs a trivial query (for /healthz): null when it answers, else what went wrong, which is for
    /// the log only (it names paths and the database's state).
    /// </summary>
    Exception? Probe();

    /// <summary>Writes the visit's state (and its end, and for a final visit its legs' summaries).</summary>
    void UpdateState(Visit visit);

    Visit? Load(string id);

    /// <summary>Every scheduled and live visit, without a cap: each of them must be in memory to be joined and ended.</summary>
    IReadOnlyList<Visit> LoadOpen();

    /// <summary>The newest <see cref="FinishedListLimit"/> visits in the given final states, newest start first.</summary>
    IReadOnlyList<Visit> LoadFinished(params VisitState[] states);
}

/// <summary>Officers' bookmarks of visits, in the order they were made (Storage implements it).</summary>
public interface IFlagStore
{
    void Insert(string visitId, VisitFlag flag);

    IReadOnlyList<VisitFlag> ForVisit(string visitId);

    /// <summary>The flags of several visits at once (a visit list); visits without flags are absent.</summary>
    IReadOnlyDictionary<string, List<VisitFlag>> ForVisits(IReadOnlyCollection<string> visitIds);
}

/// <summary>Participant tokens bound to the first client that joined with them (Storage implements it, so a restart keeps them).</summary>
public interface IJoinBindingStore
{
    /// <summary>The credential the token is bound to; null when no client has joined with it yet.</summary>
    string? CredentialOf(string tokenId);

    /// <summary>Binds the token unless it is bound already (the first binding stays); true when this call bound it.</summary>
    bool TryBind(JoinClient client, string visitId, string participantId, DateTimeOffset at);

    /// <summary>
    /// Forgets the bindings of every visit scheduled to end before <paramref name="scheduledEndBefore"/> (no token of theirs
    /// can still be presented); returns how many were forgotten.
    /// </summary>
    int ForgetEndedBefore(DateTimeOffset scheduledEndBefore);
}
