using System.Text.Json;
using MediaServer.Codecs.Recording;

namespace MediaServer.Recording.Journal;

/// <summary>Recovery of a journal segment left open (docs/recording-journal.md, "Recovery"): the torn tail is kept, an End is appended.</summary>
internal static class JournalRecovery
{
    /// <summary>
    /// Appends an End record to a segment nobody is writing, after moving a torn or damaged tail into the segment's tail file.
    /// Returns the records kept and the bytes cut. Throws IOException when the disk refuses.
    /// </summary>
    public static (long Records, long Cut) Seal(string journal, int segment, string reason, bool recovered, DateTimeOffset now)
    {
        var scan = JournalScanner.Scan(journal);
        long cut = 0;
        using (var stream = new FileStream(journal, FileMode.Open, FileAccess.ReadWrite, FileShare.Read))
        {
            if (scan.FirstBadOffset is { } bad)
            {
                cut = stream.Length - bad;
                var tailPath = Path.Combine(Path.GetDirectoryName(journal)!, JournalSegments.TailFileName(segment));
                using (var tail = new FileStream(tailPath, RecordingPaths.NewFile()))
                {
                    stream.Position = bad;
                    stream.CopyTo(tail);
                    tail.Flush(flushToDisk: true);
                }
                stream.SetLength(bad);
            }
            stream.Position = stream.Length;
            var endJson = JsonSerializer.SerializeToUtf8Bytes(new { reason, recovered, cutBytes = cut });
            var record = new byte[JournalFormat.RecordOverhead + JournalFormat.TimePrefixLength + endJson.Length];
            var payload = JournalFormat.PayloadArea(record);
            // Monotonic time is unknown here (the recorder that owned the clock origin is gone): written as -1.
            JournalFormat.WriteTimePrefix(payload, -1, now.ToUnixTimeMilliseconds() * 1000);
            endJson.CopyTo(payload[JournalFormat.TimePrefixLength..]);
            JournalFormat.CompleteRecord(record, JournalRecordType.End, JournalFormat.TimePrefixLength + endJson.Length);
            stream.Write(record);
            stream.Flush(flushToDisk: true);
        }
        return (scan.Records, cut);
    }
}
