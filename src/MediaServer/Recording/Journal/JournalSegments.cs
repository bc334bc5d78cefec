using System.Globalization;

namespace MediaServer.Recording.Journal;

/// <summary>
/// The files of a recording in segments (docs/recording-journal.md, "Segments"): segment 1 is <c>journal.msj</c>, each
/// continuation after a restart or a failed recording is <c>journal-0002.msj</c>, <c>journal-0003.msj</c>, … in the same
/// folder, and a segment's torn tail cut by recovery is kept beside it (<c>journal.tail</c>, <c>journal-0002.tail</c>).
/// </summary>
internal static class JournalSegments
{
    /// <summary>Segment numbers are written with four digits; a visit that needs more is not recorded further.</summary>
    public const int MaxSegments = 9999;

    public static string FileName(int segment) => segment switch
    {
        < 1 or > MaxSegments => throw new ArgumentOutOfRangeException(nameof(segment), segment, "segments are numbered 1 to 9999"),
        1 => VisitRecorder.JournalFileName,
        _ => "journal-" + segment.ToString("D4", CultureInfo.InvariantCulture) + ".msj",
    };

    public static string TailFileName(int segment) =>
        segment == 1 ? "journal.tail" : "journal-" + segment.ToString("D4", CultureInfo.InvariantCulture) + ".tail";

    /// <summary>
    /// The segment files present in <paramref name="folder"/>, in order: journal.msj, then each numbered continuation as long
    /// as the numbers run on without a hole (a missing segment ends the list; verify names files it did not list).
    /// </summary>
    public static IReadOnlyList<string> InOrder(string folder)
    {
        var paths = new List<string>();
        for (var segment = 1; segment <= MaxSegments; segment++)
        {
            var path = Path.Combine(folder, FileName(segment));
            if (!File.Exists(path))
            {
                break;
            }
            paths.Add(path);
        }
        return paths;
    }

    /// <summary>
    /// The segments of the recording whose first segment is <paramref name="journalPath"/>: that file and the continuations
    /// beside it, or just the file itself when it is not named journal.msj.
    /// </summary>
    public static IReadOnlyList<string> Of(string journalPath)
    {
        if (!string.Equals(Path.GetFileName(journalPath), VisitRecorder.JournalFileName, StringComparison.Ordinal))
        {
            return [journalPath];
        }
        var all = InOrder(Path.GetDirectoryName(Path.GetFullPath(journalPath)) ?? ".");
        return all.Count == 0 ? [journalPath] : all;
    }

    /// <summary>Journal-like files in the folder that are not among the first <paramref name="listed"/> segments.</summary>
    public static IReadOnlyList<string> Unlisted(string folder, int listed)
    {
        var extra = new List<string>();
        if (!Directory.Exists(folder))
        {
            return extra;
        }
        var known = new HashSet<string>(StringComparer.Ordinal);
        for (var segment = 1; segment <= Math.Min(listed, MaxSegments); segment++)
        {
            known.Add(FileName(segment));
        }
        foreach (var path in Directory.EnumerateFiles(folder, "journal*.msj"))
        {
            var name = Path.GetFileName(path);
            if (!known.Contains(name))
            {
                extra.Add(name);
            }
        }
        extra.Sort(StringComparer.Ordinal);
        return extra;
    }
}
