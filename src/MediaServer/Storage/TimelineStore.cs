using System.Globalization;
using System.Text.Json;
using MediaServer.Visits.Timeline;

namespace MediaServer.Storage;

/// <summary>
/// Visit timelines (tables visit_timeline and visit_media): each entry one row keyed by visit and sequence, its fields as
/// JSON; each party's media seconds one row, saved over. The timeline caps what it appends (VisitTimeline.MaxEntries).
/// </summary>
public sealed class TimelineStore(Database database) : ITimelineStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public void Append(string visitId, TimelineEntry entry)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO visit_timeline (visit_id, seq, at, kind, participant, body) VALUES ($visit, $seq, $at, $kind, $participant, $body)
            """;
        command.Parameters.AddWithValue("$visit", visitId);
        command.Parameters.AddWithValue("$seq", entry.Seq);
        command.Parameters.AddWithValue("$at", Format(entry.At));
        command.Parameters.AddWithValue("$kind", entry.Kind);
        command.Parameters.AddWithValue("$participant", (object?)entry.Participant ?? DBNull.Value);
        command.Parameters.AddWithValue("$body", JsonSerializer.Serialize(entry, Json));
        command.ExecuteNonQuery();
    }

    public IReadOnlyList<TimelineEntry> Entries(string visitId)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT body FROM visit_timeline WHERE visit_id = $visit ORDER BY seq";
        command.Parameters.AddWithValue("$visit", visitId);
        using var reader = command.ExecuteReader();
        var entries = new List<TimelineEntry>();
        while (reader.Read())
        {
            if (JsonSerializer.Deserialize<TimelineEntry>(reader.GetString(0), Json) is { } entry)
            {
                entries.Add(entry);
            }
        }
        return entries;
    }

    public void SaveMedia(string visitId, PartyMediaSeconds media)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO visit_media (visit_id, participant, in_seconds, out_seconds, both_seconds, updated_at)
            VALUES ($visit, $participant, $in, $out, $both, $at)
            ON CONFLICT (visit_id, participant) DO UPDATE SET in_seconds = excluded.in_seconds, out_seconds = excluded.out_seconds,
                both_seconds = excluded.both_seconds, updated_at = excluded.updated_at
            """;
        command.Parameters.AddWithValue("$visit", visitId);
        command.Parameters.AddWithValue("$participant", media.Participant);
        command.Parameters.AddWithValue("$in", media.InSeconds);
        command.Parameters.AddWithValue("$out", media.OutSeconds);
        command.Parameters.AddWithValue("$both", media.BothSeconds);
        command.Parameters.AddWithValue("$at", Format(media.UpdatedAt));
        command.ExecuteNonQuery();
    }

    public IReadOnlyList<PartyMediaSeconds> Media(string visitId)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT participant, in_seconds, out_seconds, both_seconds, updated_at FROM visit_media WHERE visit_id = $visit ORDER BY participant
            """;
        command.Parameters.AddWithValue("$visit", visitId);
        using var reader = command.ExecuteReader();
        var rows = new List<PartyMediaSeconds>();
        while (reader.Read())
        {
            rows.Add(new PartyMediaSeconds(reader.GetString(0), reader.GetDouble(1), reader.GetDouble(2), reader.GetDouble(3),
                DateTimeOffset.Parse(reader.GetString(4), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind)));
        }
        return rows;
    }

    private static string Format(DateTimeOffset value) => value.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
}
