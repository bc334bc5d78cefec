using System.Security.Cryptography;
using System.Text.Json;

namespace MediaServer.Recording;

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
/// Checks a recording folder (journal.msj, review.mp4, manifest.json, manifest.sig) against a public key: the manifest's
/// signature, every journal record's CRC, the chain and its checkpoints, the journal's and the review copy's SHA-256.
/// Each failure is named: which file, and where.
/// </summary>
public static class RecordingVerifier
{
    public static VerificationReport Verify(string folder, ECDsa publicKey)
    {
        var problems = new List<string>();
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
            var scan = JournalScanner.Scan(journalPath);
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

        return new VerificationReport(problems.Count == 0, journalSha, mediaSha, signatureValid, chainValid, manifest?.Gaps ?? [],
            keyId, problems);
    }
}
