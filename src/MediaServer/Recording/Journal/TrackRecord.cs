using System.Text.Json;
using MediaServer.Codecs.Recording;

namespace MediaServer.Recording.Journal;

/// <summary>
/// A journal's Track record (docs/recording-journal.md), typed: the track id and what its JSON body declares. The one reader
/// of that body: the manifest, the timeline analyzer and verify all take their tracks from here.
/// </summary>
/// <param name="VisitId">The recording the track belongs to (null when the body does not say).</param>
/// <param name="ClockRate">The declared RTP clock rate; null when absent or not positive.</param>
/// <param name="PayloadTypes">The payload type map in the order the body lists it (payload type as written, codec name as written).</param>
/// <param name="Authenticated">Whether the leg's media was authenticated (SRTP); null when the record does not say.</param>
internal sealed record TrackRecord(
    uint Id,
    string? VisitId,
    string Participant,
    string Role,
    string Kind,
    int? ClockRate,
    IReadOnlyList<KeyValuePair<string, string>> PayloadTypes,
    bool? Authenticated)
{
    /// <summary>The codec of the first payload type listed ("" when none).</summary>
    public string FirstCodec => PayloadTypes.Count > 0 ? PayloadTypes[0].Value : "";

    /// <summary>Reads a Track record; false when it is not one, or its body is not a JSON object.</summary>
    public static bool TryRead(in JournalRecord record, out TrackRecord track)
    {
        track = null!;
        return record.Type == JournalRecordType.Track && record.TryGetTrack(out var id, out var body) && TryParse(id, body, out track);
    }

    /// <summary>Parses a Track record's JSON body; false when it is not a JSON object.</summary>
    public static bool TryParse(uint id, ReadOnlySpan<byte> json, out TrackRecord track)
    {
        track = null!;
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return false;
            }
            var types = new List<KeyValuePair<string, string>>();
            if (root.TryGetProperty("payloadTypes", out var map) && map.ValueKind == JsonValueKind.Object)
            {
                foreach (var entry in map.EnumerateObject())
                {
                    if (entry.Value.ValueKind == JsonValueKind.String)
                    {
                        types.Add(new(entry.Name, entry.Value.GetString()!));
                    }
                }
            }
            string Text(string name) => root.TryGetProperty(name, out var v) ? v.ToString() : "";
            track = new TrackRecord(
                id,
                root.TryGetProperty("visitId", out var visit) && visit.ValueKind == JsonValueKind.String ? visit.GetString() : null,
                Text("participant"),
                Text("role"),
                Text("kind"),
                root.TryGetProperty("clockRate", out var c) && c.TryGetInt32(out var rate) && rate > 0 ? rate : null,
                types,
                root.TryGetProperty("authenticated", out var a) && a.ValueKind is JsonValueKind.True or JsonValueKind.False ? a.GetBoolean() : null);
            return true;
        }
        catch (JsonException)
        {
            return false; // A record whose CRC checks but whose JSON does not parse: named by verify, skipped by readers.
        }
    }
}
