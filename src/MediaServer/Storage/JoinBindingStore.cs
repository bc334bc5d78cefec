using System.Globalization;
using MediaServer.Visits;

namespace MediaServer.Storage;

/// <summary>Participant tokens' first clients (table token_bindings, by <c>jti</c>): the store behind <see cref="JoinBindings"/>.</summary>
public sealed class JoinBindingStore : IJoinBindingStore
{
    private readonly Database _database;

    public JoinBindingStore(Database database)
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

    public string? CredentialOf(string tokenId)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT credential FROM token_bindings WHERE jti = $jti";
        command.Parameters.AddWithValue("$jti", tokenId);
        return command.ExecuteScalar() as string;
    }

    public bool TryBind(JoinClient client, string visitId, string participantId, DateTimeOffset at)
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

    public int ForgetEndedBefore(DateTimeOffset scheduledEndBefore)
    {
        using var connection = _database.Open();
        using var command = connection.CreateCommand();
        // visits.end is written as the round-trip UTC form, which orders as text.
        command.CommandText = "DELETE FROM token_bindings WHERE visit_id IN (SELECT id FROM visits WHERE end < $before)";
        command.Parameters.AddWithValue("$before", scheduledEndBefore.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
        return command.ExecuteNonQuery();
    }
}
