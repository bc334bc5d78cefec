using System.Text.Json;
using MediaServer.Hosting;
using MediaServer.Visits;

namespace MediaServer.Api;

/// <summary>The body of <c>POST /api/visits</c>: read field by field and checked against the schedule bounds.</summary>
public static class VisitRequestReader
{
    private const string VisitShape = "The body must be a JSON visit: {inmate:{id,name}, visitors:[{id,name}], start, end, privileged, flagged}.";

    /// <summary>
    /// Reads the visit from the body by hand rather than through model binding, so that every malformed field gets its own
    /// plain 400 (a timestamp without an offset, a number where a name goes) instead of a bare binding failure.
    /// </summary>
    public static async Task<(ParsedVisit? Visit, string? Error)> ReadAsync(HttpContext http)
    {
        if (http.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
        {
            return (null, "The body must be application/json. " + VisitShape);
        }
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(http.Request.Body, new JsonDocumentOptions { MaxDepth = 8 },
                http.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            return (null, "The body is not valid JSON. " + VisitShape);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, VisitShape);
            }
            var inmate = ReadPerson(root, "inmate");
            if (inmate is null)
            {
                return (null, $"inmate must be {{\"id\", \"name\"}}: an id of 1 to {InputRules.MaxIdLength} characters A-Z, a-z, 0-9, '.', '_', '-' and a name of 1 to {InputRules.MaxNameLength} characters without control characters.");
            }
            if (!root.TryGetProperty("visitors", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                return (null, "visitors must be an array of {\"id\", \"name\"}.");
            }
            var visitors = new List<Person>();
            foreach (var item in list.EnumerateArray())
            {
                if (visitors.Count > 64)
                {
                    break; // The count is refused below; no need to read a long list to say so.
                }
                var person = item.ValueKind == JsonValueKind.Object ? ReadPerson(item) : null;
                if (person is null)
                {
                    return (null, $"Every visitor needs an id of 1 to {InputRules.MaxIdLength} characters A-Z, a-z, 0-9, '.', '_', '-' and a name of 1 to {InputRules.MaxNameLength} characters without control characters.");
                }
                visitors.Add(person);
            }
            var start = ReadTimestamp(root, "start");
            var end = ReadTimestamp(root, "end");
            if (start is null || end is null)
            {
                return (null, "start and end are required: RFC 3339 timestamps with an explicit offset, e.g. 2026-05-01T14:00:00+02:00 or 2026-05-01T12:00:00Z.");
            }
            if (!TryReadBool(root, "privileged", out var privileged) || !TryReadBool(root, "flagged", out var flagged))
            {
                return (null, "privileged and flagged, when given, must be true or false.");
            }
            return (new ParsedVisit(inmate, visitors, start.Value, end.Value, privileged, flagged), null);
        }
    }

    public sealed record ParsedVisit(Person Inmate, List<Person> Visitors, DateTimeOffset Start, DateTimeOffset End, bool Privileged, bool Flagged);

    private static Person? ReadPerson(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.Object ? ReadPerson(element) : null;

    private static Person? ReadPerson(JsonElement element)
    {
        var id = element.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null;
        var name = element.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        return InputRules.IsId(id) && InputRules.IsText(name, InputRules.MaxNameLength) ? new Person(id!, name!.Trim()) : null;
    }

    private static DateTimeOffset? ReadTimestamp(JsonElement root, string name) =>
        root.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.String
            && InputRules.TryParseTimestamp(element.GetString(), out var value) ? value : null;

    private static bool TryReadBool(JsonElement root, string name, out bool value)
    {
        value = false;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }
        if (element.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            value = element.GetBoolean();
            return true;
        }
        return false;
    }

    public static string? Validate(ParsedVisit request, int maxVisitors, LimitOptions limits, DateTimeOffset now)
    {
        if (request.Visitors.Count == 0 || request.Visitors.Count > maxVisitors)
        {
            return $"A visit has from 1 to {maxVisitors} visitors.";
        }
        var ids = new HashSet<string>(StringComparer.Ordinal) { request.Inmate.Id };
        foreach (var visitor in request.Visitors)
        {
            if (!ids.Add(visitor.Id))
            {
                return $"Participant id '{visitor.Id}' appears twice; ids must be unique within a visit.";
            }
        }
        if (request.End <= request.Start)
        {
            return "end must be after start.";
        }
        if (request.Start < InputRules.EarliestStart)
        {
            return $"start must be in the year 2000 or later; {request.Start:O} is not a plausible visit.";
        }
        if (request.Start > now + limits.MaxScheduleAhead)
        {
            return $"start may be at most {limits.MaxScheduleAhead.TotalDays:0} days ahead.";
        }
        if (request.End - request.Start > limits.MaxVisitDuration)
        {
            return $"A visit may last at most {limits.MaxVisitDuration.TotalHours:0.##} hours (end − start).";
        }
        if (request.End <= now)
        {
            return "end is in the past.";
        }
        return null;
    }
}
