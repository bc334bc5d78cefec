using MediaServer.Codecs.Recording;
using MediaServer.Recording.Journal;

namespace MediaServer.Recording.Review;

/// <summary>Receives each record of a journal in order.</summary>
internal delegate void JournalRecordHandler(JournalRecord record);

/// <summary>
/// Streams a journal file through <see cref="JournalReader"/> a window at a time, so a visit of hours is read in a few
/// megabytes of memory. Reading stops at the first torn or damaged record: everything before it is the recording.
/// </summary>
internal static class JournalFileReader
{
    private const int WindowLength = 4 << 20; // at least one record of the largest allowed length

    /// <summary>
    /// Calls <paramref name="handler"/> for each intact record of the recording whose first segment is <paramref name="path"/>:
    /// journal.msj, then each continuation segment beside it in order (<see cref="JournalSegments"/>), so that the review copy
    /// covers every segment and the time between them is a gap. Returns how the journal ended (the first damage, or how the
    /// last segment ended).
    /// </summary>
    public static JournalReadStatus ReadAll(string path, JournalRecordHandler handler)
    {
        var status = JournalReadStatus.EndOfData;
        foreach (var segment in JournalSegments.Of(path))
        {
            status = ReadSegment(segment, handler);
            if (status == JournalReadStatus.Corrupt)
            {
                return status;
            }
        }
        return status;
    }

    private static JournalReadStatus ReadSegment(string path, JournalRecordHandler handler)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        var buffer = new byte[WindowLength];
        int filled = Fill(file, buffer, 0);
        if (!JournalFormat.TryReadPreamble(buffer.AsSpan(0, filled), out ushort version))
        {
            throw new InvalidDataException(filled >= JournalFormat.PreambleLength && version != 0
                ? $"{path} is a journal of format version {version}; this server reads versions {JournalFormat.MinimumVersion} to {JournalFormat.Version}"
                : $"{path} is not a recording journal");
        }

        int start = JournalFormat.PreambleLength;
        while (true)
        {
            var reader = new JournalReader(buffer.AsSpan(0, filled), start, version);
            JournalReadStatus status;
            while ((status = reader.Read(out var record)) == JournalReadStatus.Record)
            {
                handler(record);
            }

            if (status == JournalReadStatus.Corrupt)
            {
                return status;
            }

            // EndOfData or Truncated within this window: keep the unread bytes and read on.
            int left = filled - reader.Position;
            buffer.AsSpan(reader.Position, left).CopyTo(buffer);
            int more = Fill(file, buffer, left);
            if (more == left)
            {
                return status;
            }

            filled = more;
            start = 0;
        }
    }

    private static int Fill(FileStream file, byte[] buffer, int offset)
    {
        while (offset < buffer.Length)
        {
            int n = file.Read(buffer, offset, buffer.Length - offset);
            if (n == 0)
            {
                break;
            }

            offset += n;
        }

        return offset;
    }
}
