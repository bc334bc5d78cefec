using System.Text.Json;
using MediaServer.Recording.Journal;
using MediaServer.Visits;

namespace MediaServer.Recording.Manifest;

/// <summary>
/// Builds a recording's manifest (docs/recording-manifest.md) from its journal segments, the review copy's timeline and the
/// officers' flags, signs it with the server's key, and writes manifest.json, manifest.sig and public-key.pem beside the
/// journal, each atomically.
/// </summary>
internal sealed class ManifestWriter(IRecordingStore store, RecordingSigner signer, IAuditLog audit, TimeProvider time)
{
    private readonly IRecordingStore _store = store;
    private readonly RecordingSigner _signer = signer;
    private readonly IAuditLog _audit = audit;
    private readonly TimeProvider _time = time;

    /// <summary>Builds, signs and writes manifest.json, manifest.sig and public-key.pem beside the journal.</summary>
    public RecordingManifest Write(RecordingRow row, string journal, ReviewTimeline? timeline, string? reviewCopy, string? error)
    {
        var paths = JournalSegments.Of(journal);
        var all = new List<JournalFacts>(paths.Count);
        foreach (var path in paths)
        {
            all.Add(JournalFacts.Read(path));
        }
        var facts = all[0];
        var lastFacts = all[^1];
        var begin = facts.Begin;
        var officerFlags = new List<ManifestBookmark>();
        foreach (var flag in _store.FlagsOf(row.VisitId))
        {
            officerFlags.Add(new ManifestBookmark(flag.At, flag.By, flag.Note));
        }
        var visit = new ManifestVisit(row.VisitId, row.Inmate, row.Visitors,
            begin?.TryGetProperty("scheduledStart", out var ss) == true && ss.TryGetDateTimeOffset(out var s) ? s : row.StartedAt,
            begin?.TryGetProperty("scheduledEnd", out var se) == true && se.TryGetDateTimeOffset(out var e) ? e : row.StartedAt,
            row.Flagged || officerFlags.Count > 0)
        {
            Flags = officerFlags,
        };
        DateTimeOffset? firstMedia = null;
        foreach (var f in all)
        {
            firstMedia ??= f.FirstMedia;
        }
        var start = timeline?.Start ?? firstMedia ?? row.StartedAt;
        var end = timeline?.End ?? lastFacts.EndAt ?? lastFacts.LastRecord ?? start;

        // Segments, the gaps between them, and the dropped counts: all read from the journals themselves.
        var segments = new List<ManifestSegment>(all.Count);
        var segmentGaps = new List<ManifestSegmentGap>();
        var droppedByTrack = new Dictionary<int, long>();
        var bookmarks = new List<ManifestBookmark>();
        long droppedTotal = 0;
        for (var i = 0; i < all.Count; i++)
        {
            var f = all[i];
            var previousHash = f.Previous is { } p && p.TryGetProperty("chainHash", out var h) ? h.GetString() : null;
            segments.Add(new ManifestSegment(i + 1, Path.GetFileName(paths[i]), f.Scan.Sha256, f.Scan.FileLength, f.Scan.Records,
                Convert.ToHexStringLower(f.Scan.ChainHash), previousHash, f.FirstRecord, f.RecordedUntil,
                f.Recovered ? "recovered" : "sealed", f.SealReason, f.CutBytes, f.DroppedPackets)
            {
                Tail = TailOf(Path.GetDirectoryName(paths[i])!, i + 1),
            });
            if (i > 0)
            {
                segmentGaps.Add(GapBefore(i, all[i - 1], f));
            }
            foreach (var (track, count) in f.DroppedByTrack)
            {
                droppedByTrack[track] = droppedByTrack.GetValueOrDefault(track) + count;
            }
            droppedTotal += f.DroppedPackets;
            foreach (var mark in f.Bookmarks)
            {
                bookmarks.Add(new ManifestBookmark(mark.At, mark.By, mark.Note));
            }
        }
        var tracks = new List<ManifestTrack>();
        foreach (var track in WithAuthentication(timeline?.Tracks ?? TracksOf(all), all))
        {
            tracks.Add(track with { DroppedPackets = droppedByTrack.GetValueOrDefault(track.Id) });
        }
        var journalInfo = new ManifestJournal(VisitRecorder.JournalFileName, facts.Scan.Sha256, facts.Scan.FileLength, facts.Scan.Records,
            Convert.ToHexStringLower(facts.Scan.ChainHash), facts.Recovered, facts.CutBytes, facts.DroppedPackets);
        ManifestFile? media = null;
        if (reviewCopy is not null && File.Exists(reviewCopy))
        {
            media = new ManifestFile(RecordingManifest.ReviewCopyFileName, JournalScanner.Sha256OfFile(reviewCopy),
                new FileInfo(reviewCopy).Length);
        }
        var manifest = new RecordingManifest(RecordingManifest.FormatName, visit, start, end, Math.Max(0, (end - start).TotalSeconds),
            tracks, journalInfo, media, error, timeline?.Gaps ?? [], bookmarks, _time.GetUtcNow(), _signer.KeyId, AuditHead: _audit.CurrentHead())
        {
            JournalTails = TailsOf(row.Directory),
            Segments = segments,
            SegmentGaps = segmentGaps,
            DroppedPackets = droppedTotal,
        };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(manifest, RecordingManifest.Json);
        var signature = _signer.Sign(bytes);
        WriteAtomically(Path.Combine(row.Directory, RecordingManifest.FileName), bytes);
        WriteAtomically(Path.Combine(row.Directory, RecordingManifest.SignatureFileName), signature);
        WriteAtomically(Path.Combine(row.Directory, RecordingManifest.PublicKeyFileName), System.Text.Encoding.ASCII.GetBytes(_signer.PublicKeyPem));
        return manifest;
    }

    /// <summary>Every journal*.tail (what recovery cut off), hashed for the manifest, by name.</summary>
    private static List<ManifestFile> TailsOf(string folder) => RecordingVerifier.TailsIn(folder);

    /// <summary>Each track as its journal Track record declared it: authenticated (SRTP) or not; null when the record does not say.</summary>
    private static List<ManifestTrack> WithAuthentication(IReadOnlyList<ManifestTrack> tracks, List<JournalFacts> segments)
    {
        var result = new List<ManifestTrack>(tracks.Count);
        foreach (var track in tracks)
        {
            bool? authenticated = null;
            foreach (var declared in segments.SelectMany(f => f.Tracks))
            {
                if (declared.Id == track.Id && declared.Authenticated is { } a)
                {
                    authenticated = a;
                }
            }
            result.Add(track with { Authenticated = authenticated });
        }
        return result;
    }

    private static ManifestFile? TailOf(string folder, int segment)
    {
        var path = Path.Combine(folder, JournalSegments.TailFileName(segment));
        return File.Exists(path)
            ? new ManifestFile(JournalSegments.TailFileName(segment), JournalScanner.Sha256OfFile(path), new FileInfo(path).Length)
            : null;
    }

    /// <summary>The gap before segment <paramref name="index"/> (0-based), as its Gap record declares it.</summary>
    private static ManifestSegmentGap GapBefore(int index, JournalFacts previous, JournalFacts segment)
    {
        var from = previous.RecordedUntil ?? previous.LastRecord ?? DateTimeOffset.UnixEpoch;
        var to = segment.FirstRecord ?? from;
        var reason = previous.SealReason ?? "";
        if (segment.Gap is { ValueKind: JsonValueKind.Object } gap)
        {
            if (gap.TryGetProperty("from", out var f) && f.TryGetDateTimeOffset(out var declaredFrom))
            {
                from = declaredFrom;
            }
            if (gap.TryGetProperty("to", out var t) && t.TryGetDateTimeOffset(out var declaredTo))
            {
                to = declaredTo;
            }
            if (gap.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String)
            {
                reason = r.GetString() ?? reason;
            }
        }
        return new ManifestSegmentGap(index, from, to, Math.Max(0, (to - from).TotalSeconds), reason);
    }

    private static List<ManifestTrack> TracksOf(List<JournalFacts> segments)
    {
        var tracks = new List<ManifestTrack>();
        foreach (var declared in segments.SelectMany(f => f.Tracks))
        {
            tracks.Add(new ManifestTrack((int)declared.Id, declared.Participant, declared.Role, declared.Kind, declared.FirstCodec, "unanalysed"));
        }
        return tracks;
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, RecordingPaths.NewFile()))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
