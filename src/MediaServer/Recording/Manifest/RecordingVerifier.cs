using System.Security.Cryptography;
using System.Text.Json;
using MediaServer.Recording.Journal;

namespace MediaServer.Recording.Manifest;

/// <summary>The answer of GET /api/recordings/{id}/verify and of the offline <c>verify</c> command.</summary>
public sealed record VerificationReport(
    bool Ok,
    string? JournalSha256,
    string? MediaSha256,
    bool SignatureValid,
    bool ChainValid,
    IReadOnlyList<ManifestGap> Gaps,
    string KeyId,
    IReadOnlyList<string> Problems);

/// <summary>
/// Checks a recording folder (journal.msj, review.mp4, manifest.json, manifest.sig, journal.tail) against a public key: the
/// manifest's signature, every journal record's CRC, the chain and its checkpoints, the SHA-256 of the journal, the review copy
/// and the cut-off tail, and that the folder, the manifest and the journal (its Begin and Track records) all name the same
/// recording, so one recording's files swapped into another's folder are caught. Each failure is named: which file, and where.
/// </summary>
public static class RecordingVerifier
{
    /// <param name="expectedId">The recording the caller means (the API's id); null takes the folder's name.</param>
    public static VerificationReport Verify(string folder, ECDsa publicKey, string? expectedId = null)
    {
        var problems = new List<string>();
        var folderName = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
        var id = expectedId ?? folderName;
        if (!string.Equals(folderName, id, StringComparison.Ordinal))
        {
            problems.Add($"id: the folder is named '{folderName}', not after recording {id}");
        }
        var keyId = RecordingSigner.KeyIdOf(publicKey);
        var manifestPath = Path.Combine(folder, RecordingManifest.FileName);
        var signaturePath = Path.Combine(folder, RecordingManifest.SignatureFileName);
        RecordingManifest? manifest = null;
        var signatureValid = false;
        if (!File.Exists(manifestPath) || !File.Exists(signaturePath))
        {
            problems.Add("manifest: manifest.json or manifest.sig is missing (the recording is not finished, or files were removed)");
        }
        else
        {
            var bytes = File.ReadAllBytes(manifestPath);
            signatureValid = RecordingSigner.Verify(publicKey, bytes, File.ReadAllBytes(signaturePath));
            if (!signatureValid)
            {
                problems.Add("manifest: the signature does not verify with key " + keyId + " (the manifest was altered, or signed by another key)");
            }
            try
            {
                manifest = JsonSerializer.Deserialize<RecordingManifest>(bytes, RecordingManifest.Json);
            }
            catch (JsonException ex)
            {
                problems.Add("manifest: not readable JSON: " + ex.Message);
            }
            if (manifest is not null && !string.Equals(manifest.Visit?.Id, id, StringComparison.Ordinal))
            {
                problems.Add($"id: the manifest is of recording {manifest.Visit?.Id}, not {id} (another recording's manifest)");
            }
        }

        var journalPath = Path.Combine(folder, VisitRecorder.JournalFileName);
        string? journalSha = null;
        var chainValid = false;
        if (!File.Exists(journalPath))
        {
            problems.Add("journal: journal.msj is missing");
        }
        else
        {
            string? beginId = null;
            var trackIds = new List<(int Track, string? Visit)>();
            var scan = JournalScanner.Scan(journalPath, (in Codecs.Recording.JournalRecord record, long offset) =>
            {
                if (record.Type == Codecs.Recording.JournalRecordType.Begin)
                {
                    beginId = VisitIdOf(record.JsonBody) ?? "";
                }
                else if (record.Type == Codecs.Recording.JournalRecordType.Track && record.TryGetTrack(out var track, out _))
                {
                    trackIds.Add(((int)track, TrackRecord.TryRead(record, out var declared) ? declared.VisitId : null));
                }
            });
            if (scan.PreambleValid && !string.Equals(beginId, id, StringComparison.Ordinal))
            {
                problems.Add(beginId is null
                    ? "id: the journal has no Begin record naming its recording"
                    : $"id: the journal is of recording {(beginId.Length == 0 ? "(unnamed)" : beginId)}, not {id} (another recording's journal)");
            }
            foreach (var (track, visit) in trackIds)
            {
                // Journals written before Track records named their visit have none; a named one must be this recording.
                if (visit is not null && !string.Equals(visit, id, StringComparison.Ordinal))
                {
                    problems.Add($"id: the journal's track {track} is of recording {visit}, not {id}");
                }
            }
            journalSha = scan.Sha256;
            chainValid = scan.Intact && scan.HasEnd;
            if (!scan.PreambleValid)
            {
                problems.Add("journal: the file does not start with a journal preamble");
            }
            else if (scan.FirstBadOffset is { } bad)
            {
                problems.Add($"journal: record {scan.FirstBadRecordIndex} at byte {bad} is {(scan.FirstBadStatus == Codecs.Recording.JournalReadStatus.Truncated ? "cut short" : "damaged (its CRC does not match)")}");
            }
            else if (scan.CheckpointMismatchAt is { } at)
            {
                problems.Add($"journal: the checkpoint after record {at} does not match the chain (records before it were altered)");
            }
            else if (!scan.HasEnd)
            {
                problems.Add("journal: no End record (the journal was never sealed)");
            }
            if (manifest is not null)
            {
                var chainHex = Convert.ToHexStringLower(scan.ChainHash);
                if (!string.Equals(chainHex, manifest.Journal.ChainHash, StringComparison.Ordinal))
                {
                    chainValid = false;
                    problems.Add("journal: its chain hash differs from the manifest's");
                }
                if (!string.Equals(journalSha, manifest.Journal.Sha256, StringComparison.Ordinal))
                {
                    problems.Add("journal: its SHA-256 differs from the manifest's");
                }
            }
        }

        chainValid &= VerifySegments(folder, manifest, problems);

        var mediaPath = Path.Combine(folder, RecordingManifest.ReviewCopyFileName);
        string? mediaSha = null;
        if (File.Exists(mediaPath))
        {
            mediaSha = JournalScanner.Sha256OfFile(mediaPath);
        }
        if (manifest?.ReviewCopy is { } copy)
        {
            if (mediaSha is null)
            {
                problems.Add("media: review.mp4 is missing");
            }
            else if (!string.Equals(mediaSha, copy.Sha256, StringComparison.Ordinal))
            {
                problems.Add("media: review.mp4's SHA-256 differs from the manifest's");
            }
        }
        else if (manifest is not null && mediaSha is not null)
        {
            problems.Add("media: review.mp4 is present but the manifest names no review copy");
        }

        if (manifest is not null)
        {
            VerifyTails(folder, manifest, problems);
            VerifyOtherJournalIds(folder, id, problems);
        }

        return new VerificationReport(problems.Count == 0, journalSha, mediaSha, signatureValid, chainValid, manifest?.Gaps ?? [],
            keyId, problems);
    }

    /// <summary>Every <c>journal*.tail</c> in the folder (bytes crash recovery cut off a journal), hashed, in name order.</summary>
    public static List<ManifestFile> TailsIn(string folder)
    {
        var tails = new List<ManifestFile>();
        if (!Directory.Exists(folder))
        {
            return tails;
        }
        var paths = new List<string>(Directory.EnumerateFiles(folder, "journal*.tail"));
        paths.Sort(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            tails.Add(new ManifestFile(Path.GetFileName(path), JournalScanner.Sha256OfFile(path), new FileInfo(path).Length));
        }
        return tails;
    }

    /// <summary>Each tail the manifest names is there with its SHA-256; no tail is in the folder that the manifest does not name.</summary>
    private static void VerifyTails(string folder, RecordingManifest manifest, List<string> problems)
    {
        var listed = manifest.JournalTails ?? [];
        var named = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tail in listed)
        {
            named.Add(tail.File);
            var path = Path.Combine(folder, Path.GetFileName(tail.File));
            if (!File.Exists(path))
            {
                problems.Add($"tail: {tail.File} is missing (the manifest names the bytes recovery cut off)");
            }
            else if (!string.Equals(JournalScanner.Sha256OfFile(path), tail.Sha256, StringComparison.Ordinal))
            {
                problems.Add($"tail: {tail.File}'s SHA-256 differs from the manifest's");
            }
        }
        foreach (var present in TailsIn(folder))
        {
            if (!named.Contains(present.File))
            {
                problems.Add($"tail: {present.File} is present but the manifest does not cover it");
            }
        }
    }

    /// <summary>Journal files beside journal.msj (later segments): their Begin and Track records must name this recording too.</summary>
    private static void VerifyOtherJournalIds(string folder, string id, List<string> problems)
    {
        var paths = new List<string>(Directory.EnumerateFiles(folder, "journal*.msj"));
        paths.Sort(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var name = Path.GetFileName(path);
            if (name == VisitRecorder.JournalFileName)
            {
                continue;
            }
            var named = new List<string>();
            JournalScanner.Scan(path, (in Codecs.Recording.JournalRecord record, long offset) =>
            {
                if (record.Type is Codecs.Recording.JournalRecordType.Begin or Codecs.Recording.JournalRecordType.Track
                    && VisitIdOf(record.JsonBody) is { } visit && !string.Equals(visit, id, StringComparison.Ordinal))
                {
                    named.Add(visit);
                }
            });
            if (named.Count > 0)
            {
                problems.Add($"id: {name} is of recording {named[0]}, not {id}");
            }
        }
    }

    /// <summary>The <c>visitId</c> of a Begin or Track record's JSON, or null when it has none (or is not JSON).</summary>
    private static string? VisitIdOf(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("visitId", out var v) && v.ValueKind == JsonValueKind.String
                ? v.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// The continuation segments (docs/recording-journal.md, "Segments"): each listed file intact and sealed, its SHA-256,
    /// chain hash and dropped count as the manifest says, its Begin naming the previous segment's actual chain hash and
    /// SHA-256, its Gap record present; no segment file in the folder that the manifest does not list. Segment 1 is
    /// journal.msj, checked above. Returns false when a chain does not hold.
    /// </summary>
    private static bool VerifySegments(string folder, RecordingManifest? manifest, List<string> problems)
    {
        var listed = manifest?.Segments;
        var chainsHold = true;
        foreach (var extra in JournalSegments.Unlisted(folder, listed?.Count ?? 1))
        {
            problems.Add($"journal: {extra} is in the folder but the manifest does not list it");
            chainsHold = false;
        }
        if (listed is null)
        {
            return chainsHold; // A version-1 manifest: one journal, checked above.
        }
        if (listed.Count == 0 || listed[0].File != VisitRecorder.JournalFileName)
        {
            problems.Add("manifest: its first segment is not " + VisitRecorder.JournalFileName);
            return false;
        }
        JournalFacts? previous = null;
        for (var i = 0; i < listed.Count; i++)
        {
            var entry = listed[i];
            var expectedName = JournalSegments.FileName(i + 1);
            if (entry.Segment != i + 1 || entry.File != expectedName)
            {
                problems.Add($"manifest: segment {i + 1} is listed as {entry.File} (segment {entry.Segment}), not {expectedName}");
                chainsHold = false;
                break;
            }
            var path = Path.Combine(folder, entry.File);
            if (!File.Exists(path))
            {
                problems.Add($"journal: segment {entry.Segment} ({entry.File}) is missing");
                chainsHold = false;
                previous = null;
                continue;
            }
            var facts = JournalFacts.Read(path);
            var scan = facts.Scan;
            var name = $"journal: segment {entry.Segment} ({entry.File})";
            if (i > 0)
            {
                // Segment 1's own checks (records, checkpoints, End) are made above under its file name.
                if (!scan.PreambleValid)
                {
                    problems.Add(name + " does not start with a journal preamble");
                }
                else if (scan.FirstBadOffset is { } bad)
                {
                    problems.Add($"{name}: record {scan.FirstBadRecordIndex} at byte {bad} is {(scan.FirstBadStatus == Codecs.Recording.JournalReadStatus.Truncated ? "cut short" : "damaged (its CRC does not match)")}");
                }
                else if (scan.CheckpointMismatchAt is { } at)
                {
                    problems.Add($"{name}: the checkpoint after record {at} does not match the chain (records before it were altered)");
                }
                else if (!scan.HasEnd)
                {
                    problems.Add(name + " has no End record (it was never sealed)");
                }
                chainsHold &= scan.Intact && scan.HasEnd;
            }
            var chainHex = Convert.ToHexStringLower(scan.ChainHash);
            if (!string.Equals(chainHex, entry.ChainHash, StringComparison.Ordinal))
            {
                problems.Add(name + ": its chain hash differs from the manifest's");
                chainsHold = false;
            }
            if (!string.Equals(scan.Sha256, entry.Sha256, StringComparison.Ordinal))
            {
                problems.Add(name + ": its SHA-256 differs from the manifest's");
            }
            var tailName = JournalSegments.TailFileName(entry.Segment);
            var tailPath = Path.Combine(folder, tailName);
            if (entry.Tail is { } tail)
            {
                if (!File.Exists(tailPath))
                {
                    problems.Add($"{name}: its torn tail {tailName} is missing");
                }
                else if (!string.Equals(JournalScanner.Sha256OfFile(tailPath), tail.Sha256, StringComparison.Ordinal))
                {
                    problems.Add($"{name}: its torn tail {tailName}'s SHA-256 differs from the manifest's");
                }
            }
            else if (File.Exists(tailPath))
            {
                problems.Add($"{name}: {tailName} is in the folder but the manifest names no torn tail for it");
            }
            if (facts.DroppedPackets != entry.DroppedPackets)
            {
                problems.Add($"{name}: its Event records count {facts.DroppedPackets} dropped packets, the manifest {entry.DroppedPackets}");
            }
            if (i > 0)
            {
                var link = facts.Previous;
                var namedHash = link is { } l && l.TryGetProperty("chainHash", out var h) ? h.GetString() : null;
                var namedSha = link is { } m && m.TryGetProperty("sha256", out var sh) ? sh.GetString() : null;
                if (facts.Segment != i + 1 || namedHash is null)
                {
                    problems.Add($"{name}: its Begin record does not say it continues segment {i}");
                    chainsHold = false;
                }
                else if (previous is not null
                    && (!string.Equals(namedHash, Convert.ToHexStringLower(previous.Scan.ChainHash), StringComparison.Ordinal)
                        || !string.Equals(namedSha, previous.Scan.Sha256, StringComparison.Ordinal)))
                {
                    problems.Add($"{name}: it does not continue segment {i} as found (the chain hash or SHA-256 its Begin names differs)");
                    chainsHold = false;
                }
                if (facts.Gap is null)
                {
                    problems.Add($"{name}: no Gap record declares the time before it");
                }
            }
            previous = facts;
        }
        var total = 0L;
        foreach (var entry in listed)
        {
            total += entry.DroppedPackets;
        }
        if (manifest!.DroppedPackets != total)
        {
            problems.Add($"manifest: droppedPackets {manifest.DroppedPackets} is not the sum of its segments' ({total})");
        }
        return chainsHold;
    }
}
