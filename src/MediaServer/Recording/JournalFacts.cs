using System.Text.Json;
using MediaServer.Codecs.Recording;

namespace MediaServer.Recording;

/// <summary>What a journal says about its visit, read back from its records: the basis of the manifest.</summary>
public sealed class JournalFacts
{
    public required JournalScan Scan { get; init; }
    public JsonElement? Begin { get; init; }
    public IReadOnlyList<(int Id, JsonElement Description)> Tracks { get; init; } = [];
    public IReadOnlyList<ManifestBookmark> Bookmarks { get; init; } = [];
    public JsonElement? End { get; init; }
    public DateTimeOffset? FirstMedia { get; init; }
    public DateTimeOffset? LastRecord { get; init; }
    public DateTimeOffset? EndAt { get; init; }

    public static JournalFacts Read(string journalPath)
    {
        JsonElement? begin = null;
        JsonElement? end = null;
        DateTimeOffset? endAt = null;
        DateTimeOffset? firstMedia = null;
        DateTimeOffset? last = null;
        var tracks = new List<(int, JsonElement)>();
        var bookmarks = new List<ManifestBookmark>();
        var scan = JournalScanner.Scan(journalPath, (in JournalRecord record, long offset) =>
        {
            if (!record.HasTime)
            {
                return;
            }
            var at = DateTimeOffset.UnixEpoch.AddTicks(record.WallClockMicroseconds * 10);
            if (record.Type != JournalRecordType.Checkpoint)
            {
                last = at;
            }
            switch (record.Type)
            {
                case JournalRecordType.Begin:
                    begin = ParseJson(record.JsonBody);
                    break;
                case JournalRecordType.Track when record.TryGetTrack(out var id, out _) && ParseJson(record.JsonBody) is { } track:
                    tracks.Add(((int)id, track));
                    break;
                case JournalRecordType.Rtp:
                    firstMedia ??= at;
                    break;
                case JournalRecordType.Bookmark when ParseJson(record.JsonBody) is { } mark:
                    bookmarks.Add(new ManifestBookmark(
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
        };
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

/// <summary>How the review copy lines a journal up in time, as the renderer found it.</summary>
public sealed record ReviewTimeline(DateTimeOffset Start, DateTimeOffset End, IReadOnlyList<ManifestTrack> Tracks,
    IReadOnlyList<ManifestGap> Gaps);

/// <summary>Renders a sealed journal into the review MP4 (src/MediaServer/Recording/Rendering).</summary>
public interface IReviewCopyRenderer
{
    /// <summary>Alignment and gaps without rendering (for a manifest when rendering failed).</summary>
    ReviewTimeline Analyze(string journalPath);

    Task<ReviewTimeline> RenderAsync(string journalPath, string outputPath, string visitId, IProgress<double>? progress,
        CancellationToken cancellationToken);
}
