using System.Globalization;
using MediaServer.Visits;

namespace MediaServer.Storage;

/// <summary>Officers' bookmarks of visits (table visit_flags), in the order they were made.</summary>
public sealed class FlagStore(Database database) : IFlagStore
{
    public void Insert(string visitId, VisitFlag flag)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO visit_flags (visit_id, at, by, note) VALUES ($visit, $at, $by, $note)";
        command.Parameters.AddWithValue("$visit", visitId);
        command.Parameters.AddWithValue("$at", Format(flag.At));
        command.Parameters.AddWithValue("$by", flag.By);
        command.Parameters.AddWithValue("$note", flag.Note);
        command.ExecuteNonQuery();
    }

    public IReadOnlyList<VisitFlag> ForVisit(string visitId) =>
        ForVisits([visitId]).GetValueOrDefault(visitId) ?? [];

    /// <summary>The flags of several visits in one query (a visit list); visits without flags are absent.</summary>
    public IReadOnlyDictionary<string, List<VisitFlag>> ForVisits(IReadOnlyCollection<string> visitIds)
    {
        var result = new Dictionary<string, List<VisitFlag>>(StringComparer.Ordinal);
        if (visitIds.Count == 0)
        {
            return result;
        }
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        var names = new List<string>(visitIds.Count);
        foreach (var id in visitIds)
        {
            names.Add("$v" + names.Count.ToString(CultureInfo.InvariantCulture));
            command.Parameters.AddWithValue(names[^1], id);
        }
        command.CommandText = $"SELECT visit_id, at, by, note FROM visit_flags WHERE visit_id IN ({string.Join(", ", names)}) ORDER BY id";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var visitId = reader.GetString(0);
            if (!result.TryGetValue(visitId, out var list))
            {
                result[visitId] = list = [];
            }
            list.Add(new VisitFlag(Parse(reader.GetString(1)), reader.GetString(2), reader.GetString(3)));
        }
        return result;
    }

    private static string Format(DateTimeOffset value) => value.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
