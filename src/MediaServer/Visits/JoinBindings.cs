using System.Globalization;
using MediaServer.Storage;

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
/// Participant tokens bound to the first client that joined with them (by <c>jti</c>, RFC 7519 §4.1.7). Kept in the database,
/// so a restart does not free a token for whoever presents it next. Only the control path (joins, leaves, roster) reads it.
/// </summary>
public sealed class JoinBindings
{
    private readonly Database _database;

    public JoinBindings(Database database)
    {
        _database = database;
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE IF NOT EXISTS token_bindings (
                jti TEXT PRIMARY KEY,
                visit_id TEXT NOT NULL,
                participant_id TEXT NOT NULL,
                credential TEXT NOT NULL,
                first_address TEXT NOT NULL,
                bound_at TEXT NOT NULL
            );
            """;
        command.ExecuteNonQuery();
    }

    public BindingMatch Check(JoinClient client)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT credential FROM token_bindings WHERE jti = $jti";
        command.Parameters.AddWithValue("$jti", client.TokenId);
        var stored = command.ExecuteScalar() as string;
        if (stored is null)
        {
            return BindingMatch.Unbound;
        }
        return string.Equals(stored, client.Credential, StringComparison.Ordinal) ? BindingMatch.Same : BindingMatch.Other;
    }

    /// <summary>Binds the token to the client unless it is bound already (the first binding stays); true when this call bound it.</summary>
    public bool Bind(JoinClient client, string visitId, string participantId, DateTimeOffset at)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT OR IGNORE INTO token_bindings (jti, visit_id, participant_id, credential, first_address, bound_at)
            VALUES ($jti, $visit, $participant, $credential, $address, $at)
            """;
        command.Parameters.AddWithValue("$jti", client.TokenId);
        command.Parameters.AddWithValue("$visit", visitId);
        command.Parameters.AddWithValue("$participant", participantId);
        command.Parameters.AddWithValue("$credential", client.Credential);
        command.Parameters.AddWithValue("$address", client.Address.ToString());
        command.Parameters.AddWithValue("$at", at.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
        return command.ExecuteNonQuery() == 1;
    }
}
