using System.Globalization;
using System.Text.Json;
using MediaServer.Recording;
using MediaServer.Visits;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace MediaServer.Storage;

/// <summary>
/// The recordings table: one row per recorded visit, the index investigators search. A row whose visit id is unfit for a
/// folder name (only a tampered database has one) is not returned at all: nothing acts on it, retention least of all.
/// </summary>
public sealed class RecordingStore : IRecordingStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly Database database;

    public RecordingStore(Database database, IOptions<RecordingOptions> options)
        : this(database, options.Value.RootDirectory)
    {
    }

    public RecordingStore(Database database, string recordingsRoot)
    {
        this.database = database;
        Root = Path.GetFullPath(recordingsRoot);
    }

    /// <summary>The recordings root every row's folder is derived from.</summary>
    public string Root { get; }

    public void Insert(Visit visit, string directory, DateTimeOffset startedAt)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT OR IGNORE INTO recordings (visit_id, state, directory, inmate_id, inmate_name, visitors, flagged, started_at)
            VALUES ($id, 'recording', $dir, $inmate, $inmateName, $visitors,
                    $flagged OR EXISTS (SELECT 1 FROM visit_flags WHERE visit_id = $id), $started)
            """;
        command.Parameters.AddWithValue("$id", visit.Id);
        command.Parameters.AddWithValue("$dir", directory);
        command.Parameters.AddWithValue("$inmate", visit.Inmate.Id);
        command.Parameters.AddWithValue("$inmateName", visit.Inmate.Name);
        command.Parameters.AddWithValue("$visitors", JsonSerializer.Serialize(visit.Visitors, Json));
        command.Parameters.AddWithValue("$flagged", visit.Flagged ? 1 : 0);
        command.Parameters.AddWithValue("$started", Format(startedAt));
        command.ExecuteNonQuery();
    }

    public void SetState(string visitId, RecordingState state, string? error = null, DateTimeOffset? endedAt = null,
        double? durationSeconds = null, bool? recovered = null)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE recordings SET state = $state,
                error = COALESCE($error, error),
                ended_at = COALESCE($ended, ended_at),
                duration_seconds = COALESCE($duration, duration_seconds),
                recovered = COALESCE($recovered, recovered)
            WHERE visit_id = $id
            """;
        command.Parameters.AddWithValue("$id", visitId);
        command.Parameters.AddWithValue("$state", RecordingStates.Name(state));
        command.Parameters.AddWithValue("$error", (object?)error ?? DBNull.Value);
        command.Parameters.AddWithValue("$ended", endedAt is { } e ? Format(e) : DBNull.Value);
        command.Parameters.AddWithValue("$duration", (object?)durationSeconds ?? DBNull.Value);
        command.Parameters.AddWithValue("$recovered", recovered is { } r ? (r ? 1 : 0) : DBNull.Value);
        command.ExecuteNonQuery();
    }

    public void RenderAttemptFailed(string visitId, string error, DateTimeOffset nextAttempt)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE recordings SET render_attempts = render_attempts + 1, error = $error, next_render_at = $next WHERE visit_id = $id
            """;
        command.Parameters.AddWithValue("$id", visitId);
        command.Parameters.AddWithValue("$error", error);
        command.Parameters.AddWithValue("$next", Format(nextAttempt));
        command.ExecuteNonQuery();
    }

    /// <summary>An officer flagged the visit: its recording is flagged (the investigators' "flagged only" search finds it).</summary>
    public void SetFlagged(string visitId)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE recordings SET flagged = 1 WHERE visit_id = $id";
        command.Parameters.AddWithValue("$id", visitId);
        command.ExecuteNonQuery();
    }

    /// <summary>Every officer's flag of the visit (who, when, why), oldest first: the manifest lists them.</summary>
    public IReadOnlyList<VisitFlag> FlagsOf(string visitId)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT at, by, note FROM visit_flags WHERE visit_id = $id ORDER BY id";
        command.Parameters.AddWithValue("$id", visitId);
        using var reader = command.ExecuteReader();
        var flags = new List<VisitFlag>();
        while (reader.Read())
        {
            flags.Add(new VisitFlag(ParseTime(reader.GetString(0)), reader.GetString(1), reader.GetString(2)));
        }
        return flags;
    }

    public void SetHold(string visitId, bool hold)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE recordings SET hold = $hold WHERE visit_id = $id";
        command.Parameters.AddWithValue("$id", visitId);
        command.Parameters.AddWithValue("$hold", hold ? 1 : 0);
        command.ExecuteNonQuery();
    }

    public RecordingRow? Load(string visitId)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = Select + " WHERE visit_id = $id";
        command.Parameters.AddWithValue("$id", visitId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? Read(reader) : null;
    }

    public IReadOnlyList<RecordingRow> LoadByState(params RecordingState[] states)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        var names = new List<string>();
        for (var i = 0; i < states.Length; i++)
        {
            names.Add("$s" + i.ToString(CultureInfo.InvariantCulture));
            command.Parameters.AddWithValue(names[i], RecordingStates.Name(states[i]));
        }
        command.CommandText = Select + $" WHERE state IN ({string.Join(", ", names)}) ORDER BY started_at";
        return ReadAll(command);
    }

    /// <summary>Search for investigators: every filter optional; newest first.</summary>
    public IReadOnlyList<RecordingRow> Search(string? inmate, string? visitor, DateTimeOffset? from, DateTimeOffset? to, bool? flagged,
        int limit = 500)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        var where = new List<string> { "state <> 'purged'" };
        if (!string.IsNullOrEmpty(inmate))
        {
            where.Add("(inmate_id = $inmate OR inmate_name LIKE $inmateLike)");
            command.Parameters.AddWithValue("$inmate", inmate);
            command.Parameters.AddWithValue("$inmateLike", "%" + inmate + "%");
        }
        if (!string.IsNullOrEmpty(visitor))
        {
            where.Add("visitors LIKE $visitor");
            command.Parameters.AddWithValue("$visitor", "%" + visitor + "%");
        }
        if (from is { } f)
        {
            where.Add("started_at >= $from");
            command.Parameters.AddWithValue("$from", Format(f));
        }
        if (to is { } t)
        {
            where.Add("started_at <= $to");
            command.Parameters.AddWithValue("$to", Format(t));
        }
        if (flagged is { } fl)
        {
            where.Add("flagged = $flagged");
            command.Parameters.AddWithValue("$flagged", fl ? 1 : 0);
        }
        command.CommandText = Select + " WHERE " + string.Join(" AND ", where) + " ORDER BY started_at DESC LIMIT $limit";
        command.Parameters.AddWithValue("$limit", limit);
        return ReadAll(command);
    }

    private const string Select = """
        SELECT visit_id, state, directory, inmate_id, inmate_name, visitors, flagged, started_at, ended_at, duration_seconds, hold,
               error, render_attempts, next_render_at, recovered FROM recordings
        """;

    private List<RecordingRow> ReadAll(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var rows = new List<RecordingRow>();
        while (reader.Read())
        {
            if (Read(reader) is { } row)
            {
                rows.Add(row);
            }
        }
        return rows;
    }

    private RecordingRow? Read(SqliteDataReader reader) =>
        RecordingPaths.FolderOf(Root, reader.GetString(0)) is not { } folder ? null : new(
        reader.GetString(0),
        RecordingStates.Parse(reader.GetString(1)),
        folder,
        new Person(reader.GetString(3), reader.GetString(4)),
        JsonSerializer.Deserialize<List<Person>>(reader.GetString(5), Json) ?? [],
        reader.GetInt64(6) != 0,
        ParseTime(reader.GetString(7)),
        reader.IsDBNull(8) ? null : ParseTime(reader.GetString(8)),
        reader.IsDBNull(9) ? null : reader.GetDouble(9),
        reader.GetInt64(10) != 0,
        reader.IsDBNull(11) ? null : reader.GetString(11),
        (int)reader.GetInt64(12),
        reader.IsDBNull(13) ? null : ParseTime(reader.GetString(13)),
        reader.GetInt64(14) != 0);

    private static string Format(DateTimeOffset value) => value.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseTime(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
