using System.Globalization;
using System.Text.Json;
using MediaServer.Visits;
using Microsoft.Data.Sqlite;

namespace MediaServer.Storage;

/// <summary>Visits in SQLite: the schedule and parties as written by the officer, and the lifecycle state.</summary>
public sealed class VisitStore(Database database) : IVisitStore
{
    public Exception? Probe()
    {
        try
        {
            using var connection = database.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            command.ExecuteScalar();
            return null;
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException or UnauthorizedAccessException)
        {
            return e;
        }
    }

    /// <summary>The body column: the parties, and once the visit is over each one's final connection figures.</summary>
    private sealed record Body(Person Inmate, List<Person> Visitors, Dictionary<string, LegSummary>? Connections = null);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public void Insert(Visit visit)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO visits (id, inmate_id, start, end, privileged, flagged, state, body, created_at, ended_at, end_reason)
            VALUES ($id, $inmate, $start, $end, $privileged, $flagged, $state, $body, $created, NULL, NULL)
            """;
        command.Parameters.AddWithValue("$id", visit.Id);
        command.Parameters.AddWithValue("$inmate", visit.Inmate.Id);
        command.Parameters.AddWithValue("$start", Format(visit.Start));
        command.Parameters.AddWithValue("$end", Format(visit.End));
        command.Parameters.AddWithValue("$privileged", visit.Privileged ? 1 : 0);
        command.Parameters.AddWithValue("$flagged", visit.Flagged ? 1 : 0);
        command.Parameters.AddWithValue("$state", VisitStates.Name(visit.State));
        command.Parameters.AddWithValue("$body", JsonSerializer.Serialize(new Body(visit.Inmate, [.. visit.Visitors]), Json));
        command.Parameters.AddWithValue("$created", Format(visit.CreatedAt));
        command.ExecuteNonQuery();
    }

    public void UpdateState(Visit visit)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        if (visit.IsFinal)
        {
            // The legs leave memory with the visit; what the API shows of them is kept here.
            command.CommandText = "UPDATE visits SET state = $state, ended_at = $ended, end_reason = $reason, body = $body WHERE id = $id";
            command.Parameters.AddWithValue("$body", JsonSerializer.Serialize(
                new Body(visit.Inmate, [.. visit.Visitors], visit.FinalConnections is { } final ? new(final) : visit.SummarizeLegs()), Json));
        }
        else
        {
            command.CommandText = "UPDATE visits SET state = $state, ended_at = $ended, end_reason = $reason WHERE id = $id";
        }
        command.Parameters.AddWithValue("$id", visit.Id);
        command.Parameters.AddWithValue("$state", VisitStates.Name(visit.State));
        command.Parameters.AddWithValue("$ended", visit.EndedAt is { } e ? Format(e) : DBNull.Value);
        command.Parameters.AddWithValue("$reason", (object?)visit.EndReason ?? DBNull.Value);
        command.ExecuteNonQuery();
    }

    public Visit? Load(string id)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = Select + " WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        return reader.Read() ? Read(reader) : null;
    }

    public IReadOnlyList<Visit> LoadOpen() => Query([VisitState.Scheduled, VisitState.Live], limit: null);

    public IReadOnlyList<Visit> LoadFinished(params VisitState[] states) => Query(states, IVisitStore.FinishedListLimit);

    private List<Visit> Query(VisitState[] states, int? limit)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        var sql = Select;
        if (states.Length > 0)
        {
            var names = new List<string>();
            for (var i = 0; i < states.Length; i++)
            {
                names.Add("$s" + i.ToString(CultureInfo.InvariantCulture));
                command.Parameters.AddWithValue(names[^1], VisitStates.Name(states[i]));
            }
            sql += $" WHERE state IN ({string.Join(", ", names)})";
        }
        sql += " ORDER BY start DESC";
        if (limit is { } max)
        {
            sql += " LIMIT $limit";
            command.Parameters.AddWithValue("$limit", max);
        }
        command.CommandText = sql;
        var visits = new List<Visit>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            visits.Add(Read(reader));
        }
        return visits;
    }

    private const string Select = "SELECT id, start, end, privileged, flagged, state, body, created_at, ended_at, end_reason FROM visits";

    private static Visit Read(SqliteDataReader reader)
    {
        var body = JsonSerializer.Deserialize<Body>(reader.GetString(6), Json)
            ?? throw new InvalidDataException($"Visit {reader.GetString(0)} has an empty body.");
        var visit = new Visit(
            reader.GetString(0),
            body.Inmate,
            body.Visitors,
            Parse(reader.GetString(1)),
            Parse(reader.GetString(2)),
            reader.GetInt64(3) != 0,
            reader.GetInt64(4) != 0,
            Parse(reader.GetString(7)),
            ParseState(reader.GetString(5)));
        visit.RestoreEnding(reader.IsDBNull(8) ? null : Parse(reader.GetString(8)), reader.IsDBNull(9) ? null : reader.GetString(9));
        if (visit.IsFinal)
        {
            visit.FinalConnections = body.Connections ?? [];
        }
        return visit;
    }

    private static VisitState ParseState(string text) =>
        VisitStates.TryParse(text, out var state) ? state : throw new InvalidDataException($"Unknown visit state '{text}'.");

    private static string Format(DateTimeOffset value) => value.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
