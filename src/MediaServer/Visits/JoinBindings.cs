namespace MediaServer.Visits;

public enum BindingMatch
{
    /// <summary>No client has joined with this token yet.</summary>
    Unbound,
    /// <summary>The token is bound to this client.</summary>
    Same,
    /// <summary>The token is bound to another client.</summary>
    Other,
}

/// <summary>
/// Participant tokens bound to the first client that joined with them (by <c>jti</c>, RFC 7519 §4.1.7). Kept in the store
/// (<see cref="IJoinBindingStore"/>), so a restart does not free a token for whoever presents it next. Only the control path (joins, leaves, roster) reads it.
/// </summary>
public sealed class JoinBindings(IJoinBindingStore store)
{
    /// <summary>
    /// Forgets the bindings whose tokens have all expired: a participant token is valid until its visit's scheduled end plus
    /// <paramref name="afterEndGrace"/>, so a visit that ended before <c>now - afterEndGrace</c> has none left to check.
    /// </summary>
    public int ForgetExpired(DateTimeOffset now, TimeSpan afterEndGrace) => store.ForgetEndedBefore(now - afterEndGrace);

    public BindingMatch Check(JoinClient client)
    {
        var stored = store.CredentialOf(client.TokenId);
        if (stored is null)
        {
            return BindingMatch.Unbound;
        }
        return string.Equals(stored, client.Credential, StringComparison.Ordinal) ? BindingMatch.Same : BindingMatch.Other;
    }

    /// <summary>Binds the token to the client unless it is bound already (the first binding stays); true when this call bound it.</summary>
    public bool Bind(JoinClient client, string visitId, string participantId, DateTimeOffset at) =>
        store.TryBind(client, visitId, participantId, at);
}
