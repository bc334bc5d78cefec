using System.IO.Compression;
using System.Security.Claims;
using System.Text.Json;
using MediaServer.Auth;
using MediaServer.Recording.Journal;
using MediaServer.Recording.Manifest;
using MediaServer.Recording;
using MediaServer.Visits;

namespace MediaServer.Api;

/// <summary>The investigators' recordings API (docs/api.md, "Recordings"). Every view, download, verify and hold is audited.</summary>
public static class RecordingEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/recordings").RequireAuthorization(Policies.Investigation).WithTags("Recordings");
        group.MapGet("", Search).WithName("SearchRecordings").WithSummary("Recordings by inmate, visitor, time or flag (investigator, admin).");
        group.MapGet("/public-key", PublicKey).WithName("RecordingPublicKey").WithSummary("The manifest-signing public key, PEM (investigator, admin).");
        group.MapGet("/{id}", Get).WithName("GetRecording").WithSummary("One recording with its manifest summary (investigator, admin).");
        group.MapGet("/{id}/media", Media).WithName("RecordingMedia").WithSummary("The review copy, MP4, range requests (investigator, admin).");
        group.MapGet("/{id}/journal", Journal).WithName("RecordingJournal").WithSummary("The raw journal (investigator, admin).");
        group.MapGet("/{id}/verify", Verify).WithName("VerifyRecording").WithSummary("Check the manifest signature and every segment (investigator, admin).");
        group.MapGet("/{id}/export", Export).WithName("ExportRecording").WithSummary("A zip of the recording folder for offline verify (investigator, admin).");
        group.MapPost("/{id}/hold", (string id, ClaimsPrincipal user, IRecordingStore store, IAuditLog audit) => Hold(id, true, user, store, audit))
            .WithName("HoldRecording").WithSummary("Put a legal hold on a recording (investigator, admin).");
        // Only an admin lifts a legal hold; an investigator's attempt is refused (403) and audited like any wrong-role request.
        group.MapDelete("/{id}/hold", (string id, ClaimsPrincipal user, IRecordingStore store, IAuditLog audit) => Hold(id, false, user, store, audit))
            .RequireAuthorization(Policies.Admin).WithName("ReleaseHold").WithSummary("Release a legal hold (admin).");
    }

    private static IResult Search(string? inmate, string? visitor, DateTimeOffset? from, DateTimeOffset? to, bool? flagged,
        ClaimsPrincipal user, IRecordingStore store, RecordingService recordings, IAuditLog audit)
    {
        var rows = store.Search(inmate, visitor, from, to, flagged);
        var list = new List<object>(rows.Count);
        foreach (var row in rows)
        {
            list.Add(Summary(row, recordings));
        }
        audit.Append(user.Subject(), user.Role(), "recording.search", "recordings",
            $"ok: {rows.Count} results (inmate={inmate}, visitor={visitor}, from={from:O}, to={to:O}, flagged={flagged})");
        return Results.Ok(list);
    }

    private static object Summary(RecordingRow row, RecordingService recordings) => new
    {
        visit = row.VisitId,
        inmate = row.Inmate,
        visitors = row.Visitors,
        start = row.StartedAt,
        durationSeconds = row.DurationSeconds,
        state = RecordingStates.Name(row.State),
        flagged = row.Flagged,
        flags = BookmarksOf(row),
        hold = row.Hold,
        recovered = row.Recovered,
        error = row.Error,
        renderProgress = recordings.RenderProgress(row.VisitId),
    };

    private static IReadOnlyList<ManifestBookmark> BookmarksOf(RecordingRow row) => ReadManifest(row)?.Bookmarks ?? [];

    private static RecordingManifest? ReadManifest(RecordingRow row)
    {
        var path = Path.Combine(row.Directory, RecordingManifest.FileName);
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<RecordingManifest>(File.ReadAllBytes(path), RecordingManifest.Json);
        }
        catch (JsonException)
        {
            return null; // Verify names a damaged manifest; listing it is not the place.
        }
    }

    private static IResult Get(string id, ClaimsPrincipal user, IRecordingStore store, RecordingService recordings, IAuditLog audit)
    {
        if (Find(id, user, store, audit, "recording.view") is not { } row)
        {
            return NotFound(id);
        }
        var manifest = ReadManifest(row);
        return Results.Ok(new
        {
            recording = Summary(row, recordings),
            manifest,
            flags = manifest?.Bookmarks ?? [],
            gaps = manifest?.Gaps ?? [],
        });
    }

    private static IResult Media(string id, ClaimsPrincipal user, IRecordingStore store, IAuditLog audit)
    {
        if (Find(id, user, store, audit, "recording.media") is not { } row)
        {
            return NotFound(id);
        }
        var path = Path.Combine(row.Directory, RecordingManifest.ReviewCopyFileName);
        if (!File.Exists(path))
        {
            return ApiResults.Problem(409, ProblemTypes.NoReviewCopy, "No review copy", $"Recording {id} is {RecordingStates.Name(row.State)}; its review copy does not exist (yet).");
        }
        return Results.File(path, "video/mp4", $"{id}.mp4", enableRangeProcessing: true);
    }

    private static IResult Journal(string id, ClaimsPrincipal user, IRecordingStore store, IAuditLog audit)
    {
        if (Find(id, user, store, audit, "recording.journal") is not { } row)
        {
            return NotFound(id);
        }
        var path = Path.Combine(row.Directory, VisitRecorder.JournalFileName);
        return File.Exists(path)
            ? Results.File(path, "application/octet-stream", $"{id}.msj", enableRangeProcessing: true)
            : ApiResults.Problem(409, ProblemTypes.NoJournal, "No journal", $"Recording {id} has no journal on disk.");
    }

    private static IResult Verify(string id, ClaimsPrincipal user, IRecordingStore store, RecordingService recordings, IAuditLog audit)
    {
        var row = store.Load(id);
        if (row is null || row.State == RecordingState.Purged)
        {
            audit.Append(user.Subject(), user.Role(), "recording.verify", "recording/" + id, "not found");
            return NotFound(id);
        }
        using var key = recordings.Signer.PublicKey();
        var report = RecordingVerifier.Verify(row.Directory, key, row.VisitId);
        audit.Append(user.Subject(), user.Role(), "recording.verify", "recording/" + id,
            report.Ok ? "ok" : "failed: " + string.Join("; ", report.Problems));
        return Results.Ok(report);
    }

    /// <summary>The folder the offline <c>verify</c> command checks, as a zip: journal, review copy, manifest, signature, public key.</summary>
    private static IResult Export(string id, ClaimsPrincipal user, IRecordingStore store, IAuditLog audit, HttpContext http)
    {
        if (Find(id, user, store, audit, "recording.export") is not { } row)
        {
            return NotFound(id);
        }
        // ZipArchive writes each entry's data descriptor and the central directory with synchronous writes when it disposes
        // (even from DisposeAsync, on a non-seekable stream); Kestrel refuses those by default. They are a few bytes each, and
        // the file contents themselves are copied asynchronously.
        if (http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpBodyControlFeature>() is { } body)
        {
            body.AllowSynchronousIO = true;
        }
        return Results.Stream(async stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            var names = new List<string> { RecordingManifest.ReviewCopyFileName, RecordingManifest.FileName,
                RecordingManifest.SignatureFileName, RecordingManifest.PublicKeyFileName };
            // Every journal file and every tail recovery cut off (journal.msj, journal.tail, and those of later segments).
            if (Directory.Exists(row.Directory))
            {
                foreach (var path in Directory.EnumerateFiles(row.Directory, "journal*"))
                {
                    var file = Path.GetFileName(path);
                    if (file.EndsWith(".msj", StringComparison.Ordinal) || file.EndsWith(".tail", StringComparison.Ordinal))
                    {
                        names.Add(file);
                    }
                }
            }
            names.Sort(StringComparer.Ordinal);
            foreach (var name in names)
            {
                var path = Path.Combine(row.Directory, name);
                if (!File.Exists(path))
                {
                    continue;
                }
                var entry = zip.CreateEntry($"{id}/{name}", CompressionLevel.NoCompression);
                await using var target = await entry.OpenAsync().ConfigureAwait(false);
                await using var source = File.OpenRead(path);
                await source.CopyToAsync(target).ConfigureAwait(false);
            }
        }, "application/zip", $"recording-{id}.zip");
    }

    private static IResult Hold(string id, bool hold, ClaimsPrincipal user, IRecordingStore store, IAuditLog audit)
    {
        if (Find(id, user, store, audit, hold ? "recording.hold" : "recording.release") is not { } row)
        {
            return NotFound(id);
        }
        store.SetHold(row.VisitId, hold);
        return Results.Ok(new { visit = row.VisitId, hold });
    }

    /// <summary>
    /// The manifest-signing public key (PEM), its id (SHA-256 of the SubjectPublicKeyInfo) in the <c>Key-Id</c> header; with
    /// <c>?format=json</c>, both as JSON. The id is what <c>verify --key-id</c> pins.
    /// </summary>
    private static IResult PublicKey(string? format, RecordingService recordings, HttpContext http)
    {
        if (string.Equals(format, "json", StringComparison.Ordinal))
        {
            return Results.Ok(new { keyId = recordings.Signer.KeyId, algorithm = "ECDSA P-256 SHA-256", pem = recordings.Signer.PublicKeyPem });
        }
        http.Response.Headers["Key-Id"] = recordings.Signer.KeyId;
        return Results.Text(recordings.Signer.PublicKeyPem, "application/x-pem-file");
    }

    /// <summary>Looks the recording up and audits the access (also when it is not found: a probe is an access too).</summary>
    private static RecordingRow? Find(string id, ClaimsPrincipal user, IRecordingStore store, IAuditLog audit, string action)
    {
        var row = store.Load(id);
        var found = row is not null && row.State != RecordingState.Purged;
        audit.Append(user.Subject(), user.Role(), action, "recording/" + id, found ? "ok" : "not found");
        return found ? row : null;
    }

    private static IResult NotFound(string id) => ApiResults.Problem(404, ProblemTypes.NotFound, "No such recording", $"No recording {id}.");
}
