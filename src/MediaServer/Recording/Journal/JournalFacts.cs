using System.Text.Json;
using MediaServer.Codecs.Recording;

namespace MediaServer.Recording.Journal;

/// <summary>A Bookmark record: an officer's flag (when, by whom, the note).</summary>
internal sealed record JournalBookmark(DateTimeOffset At, string By, string Note);

/// <summary>What a journal says about its visit, read back from its records: the basis of the manifest.</summary>
internal sealed class JournalFacts
{
    public required JournalScan Scan { get; init; }
    public JsonElement? Begin { get; init; }
    public IReadOnlyList<TrackRecord> Tracks { get; init; } = [];
    public IReadOnlyList<JournalBookmark> Bookmarks { get; init; } = [];
    public JsonElement? End { get; init; }
    public DateTimeOffset? FirstMedia { get; init; }
    public DateTimeOffset? LastRecord { get; init; }
    public DateTimeOffset? EndAt { get; init; }

    /// <summary>Time of the first record (the Begin).</summary>
    public DateTimeOffset? FirstRecord { get; init; }

    /// <summary>Time of the last record that is neither a checkpoint nor the End: the last thing recorded.</summary>
    public DateTimeOffset? LastContent { get; init; }

    /// <summary>Packets the recorder dropped, per track id (0: a track it did not know), summed from the Event records.</summary>
    public IReadOnlyDictionary<int, long> DroppedByTrack { get; init; } = new Dictionary<int, long>();

    public long DroppedPackets { get; init; }

    /// <summary>The Gap record of a continuation segment (JSON), or null.</summary>
    public JsonElement? Gap { get; init; }

    /// <summary>The segment number Begin states (1 when it states none: a version-1 journal).</summary>
    public int Segment => Begin is { } b && b.ValueKind == JsonValueKind.Object && b.TryGetProperty("segment", out var n)
        && n.TryGetInt32(out var segment) ? segment : 1;

    /// <summary>Begin's <c>previous</c> (file, chainHash, sha256, records) of a continuation segment, or null.</summary>
    public JsonElement? Previous => Begin is { } b && b.ValueKind == JsonValueKind.Object && b.TryGetProperty("previous", out var p)
        && p.ValueKind == JsonValueKind.Object ? p : null;

    public bool Recovered => End is { } e && e.ValueKind == JsonValueKind.Object && e.TryGetProperty("recovered", out var r)
        && r.ValueKind == JsonValueKind.True;

    public long CutBytes => End is { } e && e.ValueKind == JsonValueKind.Object && e.TryGetProperty("cutBytes", out var c)
        && c.TryGetInt64(out var cut) ? cut : 0;

    public string? SealReason => End is { } e && e.ValueKind == JsonValueKind.Object && e.TryGetProperty("reason", out var r)
        && r.ValueKind == JsonValueKind.String ? r.GetString() : null;

    /// <summary>The end of what the segment recorded: its End when sealed in time, the last record before it when recovered.</summary>
    public DateTimeOffset? RecordedUntil => Recovered ? LastContent ?? EndAt : EndAt ?? LastContent;

    public int MaxTrackId { get; init; }

    public static JournalFacts Read(string journalPath)
    {
        JsonElement? begin = null;
        JsonElement? end = null;
        DateTimeOffset? endAt = null;
        DateTimeOffset? firstMedia = null;
        DateTimeOffset? last = null;
        DateTimeOffset? first = null;
        DateTimeOffset? lastContent = null;
        JsonElement? gap = null;
        var dropped = new Dictionary<int, long>();
        long droppedTotal = 0;
        var maxTrack = 0;
        var tracks = new List<TrackRecord>();
        var bookmarks = new List<JournalBookmark>();
        var scan = JournalScanner.Scan(journalPath, (in JournalRecord record, long offset) =>
        {
            if (!record.HasTime)
            {
                return;
            }
            var at = DateTimeOffset.UnixEpoch.AddTicks(record.WallClockMicroseconds * 10);
            first ??= at;
            if (record.Type != JournalRecordType.Checkpoint)
            {
                last = at;
            }
            if (record.Type is not (JournalRecordType.Checkpoint or JournalRecordType.End))
            {
                lastContent = at;
            }
            switch (record.Type)
            {
                case JournalRecordType.Begin:
                    begin = ParseJson(record.JsonBody);
                    break;
                case JournalRecordType.Track when TrackRecord.TryRead(record, out var track):
                    tracks.Add(track);
                    maxTrack = Math.Max(maxTrack, (int)track.Id);
                    break;
                case JournalRecordType.Event when ParseJson(record.JsonBody) is { } ev && IsDropped(ev, out var track0, out var count):
                    dropped[track0] = dropped.GetValueOrDefault(track0) + count;
                    droppedTotal += count;
                    break;
                case JournalRecordType.Gap when ParseJson(record.JsonBody) is { } g:
                    gap ??= g;
                    break;
                case JournalRecordType.Rtp:
                    firstMedia ??= at;
                    break;
                case JournalRecordType.Bookmark when ParseJson(record.JsonBody) is { } mark:
                    bookmarks.Add(new JournalBookmark(
                        mark.TryGetProperty("at", out var a) && a.TryGetDateTimeOffset(out var markAt) ? markAt : at,
                        mark.TryGetProperty("by", out var by) ? by.GetString() ?? "" : "",
                        mark.TryGetProperty("note", out var note) ? note.GetString() ?? "" : ""));
                    break;
                case JournalRecordType.End:
                    end = ParseJson(record.JsonBody);
                    endAt = at;
                    break;
            }
        });
        return new JournalFacts
        {
            Scan = scan,
            Begin = begin,
            Tracks = tracks,
            Bookmarks = bookmarks,
            End = end,
            FirstMedia = firstMedia,
            LastRecord = last,
            EndAt = endAt,
            FirstRecord = first,
            LastContent = lastContent,
            DroppedByTrack = dropped,
            DroppedPackets = droppedTotal,
            Gap = gap,
            MaxTrackId = maxTrack,
        };
    }

    /// <summary>A <c>dropped</c> Event: its track (0 when it names none, as version 1 did) and count.</summary>
    private static bool IsDropped(JsonElement ev, out int track, out long count)
    {
        track = 0;
        count = 0;
        if (ev.ValueKind != JsonValueKind.Object || !ev.TryGetProperty("event", out var kind) || kind.ValueKind != JsonValueKind.String
            || kind.GetString() != "dropped")
        {
            return false;
        }
        if (ev.TryGetProperty("track", out var t) && t.TryGetInt32(out var id))
        {
            track = id;
        }
        if (ev.TryGetProperty("count", out var c) && c.TryGetInt64(out var n))
        {
            count = n;
        }
        else if (ev.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String
            && long.TryParse(d.GetString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out n))
        {
            count = n;
        }
        return count > 0;
    }

    private static JsonElement? ParseJson(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            return JsonElement.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            return null; // A record whose CRC checks but whose JSON does not parse: named by verify, skipped here.
        }
    }
}
