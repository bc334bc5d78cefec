using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using MediaServer.Codecs.Recording;
using MediaServer.Recording;
using MediaServer.Recording.Journal;
using MediaServer.Recording.Manifest;
using MediaServer.Testing;
using MediaServer.Testing.Rtp;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests;

/// <summary>
/// Attacks on recordings through the real server: one recording's manifest swapped into another's folder, an offline verify
/// trusting a key that travels with the folder, an officer's flag lost from the recording, a tampered database row steering
/// retention outside the recordings root, world-readable journals, and an FFmpeg that never finishes.
/// Renders use an FFmpeg stand-in (fails at once, or hangs) so the tests spend no CPU encoding, except the file-mode test.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class RecordingTrustTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task Swapping_manifests_between_two_recordings_fails_verify_naming_the_id()
    {
        await using var tools = FakeFfmpeg.Failing();
        await using var server = await ServerProcess.StartAsync(output, null, tools.Environment());
        var investigator = await server.MintTokenAsync("investigator", "inv-1");
        var a = await RecordVisitAsync(server, investigator);
        var b = await RecordVisitAsync(server, investigator);
        var folderA = Path.Combine(server.DataDirectory, "recordings", a);
        var folderB = Path.Combine(server.DataDirectory, "recordings", b);
        Assert.True((await VerifyAsync(server, investigator, a)).GetProperty("ok").GetBoolean());

        // B's signed manifest over A's folder: genuine signature, wrong recording.
        Swap(folderA, folderB, RecordingManifest.FileName, RecordingManifest.SignatureFileName);
        var report = await VerifyAsync(server, investigator, a);
        output.WriteLine("manifests swapped: " + report);
        Assert.False(report.GetProperty("ok").GetBoolean(), "verify passed with another recording's manifest");
        Assert.True(report.GetProperty("signatureValid").GetBoolean());
        Assert.Contains(Problems(report), p => p.StartsWith($"id: the manifest is of recording {b}, not {a}", StringComparison.Ordinal));

        // And the whole of B (manifest, signature, journal) in A's folder: everything consistent except the id.
        Swap(folderA, folderB, VisitRecorder.JournalFileName);
        var whole = await VerifyAsync(server, investigator, a);
        output.WriteLine("folders swapped: " + whole);
        Assert.False(whole.GetProperty("ok").GetBoolean(), "verify of A passed on B's folder");
        Assert.Contains(Problems(whole), p => p.StartsWith($"id: the manifest is of recording {b}, not {a}", StringComparison.Ordinal));
        Assert.Contains(Problems(whole), p => p.StartsWith($"id: the journal is of recording {b}, not {a}", StringComparison.Ordinal));
        // The same files named as B's folder offline: the folder name gives it away too.
        var offline = await RunVerifyAsync(folderA, "--key-id", await KeyIdAsync(server, investigator));
        Assert.Equal(1, offline.ExitCode);
        Assert.Contains($"id: the manifest is of recording {b}, not {a}", offline.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Offline_verify_trusts_only_a_pinned_key()
    {
        await using var tools = FakeFfmpeg.Failing();
        await using var server = await ServerProcess.StartAsync(output, null, tools.Environment());
        var investigator = await server.MintTokenAsync("investigator", "inv-1");
        var id = await RecordVisitAsync(server, investigator);
        var folder = Path.Combine(server.DataDirectory, "recordings", id);
        var keyId = await KeyIdAsync(server, investigator);
        // The server announced the same fingerprint in its log at start.
        Assert.Contains(keyId, server.Process.Describe(maxLines: 2000), StringComparison.Ordinal);

        var unpinned = await RunVerifyAsync(folder);
        output.WriteLine(unpinned.ToString());
        Assert.NotEqual(0, unpinned.ExitCode);
        Assert.Contains("no pinned key: the signature was not checked against a trusted key", unpinned.StdoutText, StringComparison.Ordinal);
        Assert.DoesNotContain("OK:", unpinned.StdoutText, StringComparison.Ordinal);

        var pinned = await RunVerifyAsync(folder, "--key-id", keyId);
        output.WriteLine(pinned.ToString());
        Assert.Equal(0, pinned.ExitCode);
        Assert.Contains("OK: the recording verifies", pinned.StdoutText, StringComparison.Ordinal);

        var pem = Path.Combine(server.WorkDirectory, "facility.pem");
        var download = await server.Api.SendAsync(HttpMethod.Get, "api/recordings/public-key", investigator);
        await File.WriteAllTextAsync(pem, download.Body);
        Assert.Equal(0, (await RunVerifyAsync(folder, "--key", pem)).ExitCode);

        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var otherId = Convert.ToHexStringLower(SHA256.HashData(other.ExportSubjectPublicKeyInfo()));
        var wrong = await RunVerifyAsync(folder, "--key-id", otherId);
        output.WriteLine(wrong.ToString());
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("not the pinned key " + otherId, wrong.StdoutText, StringComparison.Ordinal);
        var otherPem = Path.Combine(server.WorkDirectory, "other.pem");
        await File.WriteAllTextAsync(otherPem, other.ExportSubjectPublicKeyInfoPem());
        Assert.Equal(1, (await RunVerifyAsync(folder, "--key", otherPem)).ExitCode);

        // A forger's manifest, signed with their own key that they put in the folder: fails against the pinned id.
        var manifestPath = Path.Combine(folder, RecordingManifest.FileName);
        var forged = (await File.ReadAllTextAsync(manifestPath)).Replace("\"flagged\": false", "\"flagged\": true", StringComparison.Ordinal);
        await File.WriteAllTextAsync(manifestPath, forged);
        await File.WriteAllBytesAsync(Path.Combine(folder, RecordingManifest.SignatureFileName),
            other.SignData(await File.ReadAllBytesAsync(manifestPath), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        await File.WriteAllTextAsync(Path.Combine(folder, RecordingManifest.PublicKeyFileName), other.ExportSubjectPublicKeyInfoPem());
        var forgery = await RunVerifyAsync(folder, "--key-id", keyId);
        output.WriteLine(forgery.ToString());
        Assert.Equal(1, forgery.ExitCode);
    }

    [Fact]
    public async Task The_bytes_recovery_cuts_off_are_covered_by_the_manifest()
    {
        await using var tools = FakeFfmpeg.Failing();
        var server = await ServerProcess.StartAsync(output, null, tools.Environment());
        var root = server.RootDirectory;
        ServerProcess? restarted = null;
        try
        {
            var now = DateTimeOffset.UtcNow;
            var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: now, end: now.AddSeconds(40));
            await using (var kiosk = new RtpParty("kiosk", 1))
            await using (var visitor = new RtpParty("visitor1", 2))
            {
                await visit.JoinAndRelayAsync(kiosk, visitor);
                await server.KillAsync();
            }
            // A torn write at the crash, as far as recovery can tell: 300 bytes that are no record.
            var folder = Path.Combine(server.DataDirectory, "recordings", visit.Id);
            var garbage = new byte[300];
            new Random(9).NextBytes(garbage);
            await using (var journal = new FileStream(Path.Combine(folder, VisitRecorder.JournalFileName), FileMode.Append))
            {
                await journal.WriteAsync(garbage);
            }

            restarted = await ServerProcess.StartAsync(output, root, tools.Environment());
            var investigator = await restarted.MintTokenAsync("investigator", "inv-1");
            var recording = await WaitForRecordingAsync(restarted, investigator, visit.Id);
            var manifest = recording.GetProperty("manifest");
            output.WriteLine(manifest.GetProperty("journal") + " " + manifest.GetProperty("journalTails"));
            var tail = Assert.Single(manifest.GetProperty("journalTails").EnumerateArray().ToList());
            Assert.Equal(RecordingManifest.JournalTailFileName, tail.GetProperty("file").GetString());
            var cut = manifest.GetProperty("journal").GetProperty("cutBytes").GetInt64();
            Assert.True(cut >= garbage.Length, $"recovery cut {cut} bytes, fewer than the {garbage.Length} appended");
            Assert.Equal(cut, tail.GetProperty("bytes").GetInt64());
            Assert.True((await VerifyAsync(restarted, investigator, visit.Id)).GetProperty("ok").GetBoolean());

            var tailPath = Path.Combine(folder, RecordingManifest.JournalTailFileName);
            var bytes = await File.ReadAllBytesAsync(tailPath);
            bytes[^1] ^= 0x01;
            await File.WriteAllBytesAsync(tailPath, bytes);
            var changed = await VerifyAsync(restarted, investigator, visit.Id);
            output.WriteLine("tail changed: " + changed);
            Assert.False(changed.GetProperty("ok").GetBoolean(), "verify passed with journal.tail changed");
            Assert.Contains(Problems(changed), p => p.StartsWith("tail: journal.tail's SHA-256 differs", StringComparison.Ordinal));
            File.Delete(tailPath);
            var removed = await VerifyAsync(restarted, investigator, visit.Id);
            Assert.Contains(Problems(removed), p => p.StartsWith("tail: journal.tail is missing", StringComparison.Ordinal));
        }
        finally
        {
            if (restarted is not null)
            {
                await restarted.DisposeAsync();
            }
            await server.DisposeAsync();
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [Fact]
    public async Task An_officer_flag_during_the_visit_flags_the_recording_and_the_flagged_only_search_finds_it()
    {
        await using var tools = FakeFfmpeg.Failing();
        await using var server = await ServerProcess.StartAsync(output, null, tools.Environment());
        var investigator = await server.MintTokenAsync("investigator", "inv-1");
        string flaggedId;
        DateTimeOffset before, after;
        {
            var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: DateTimeOffset.UtcNow);
            Assert.False(visit.Visit.Flagged);
            await using var kiosk = new RtpParty("kiosk", 1);
            await using var visitor = new RtpParty("visitor1", 2);
            await visit.JoinAndRelayAsync(kiosk, visitor);
            before = DateTimeOffset.UtcNow;
            await server.Api.FlagAsync(visit.OfficerToken, visit.Id, "passing something at the kiosk");
            after = DateTimeOffset.UtcNow;
            await server.Api.TerminateAsync(visit.OfficerToken, visit.Id, "flag test");
            flaggedId = visit.Id;
        }
        var plainId = await RecordVisitAsync(server, investigator);
        var recording = await WaitForRecordingAsync(server, investigator, flaggedId);
        output.WriteLine(recording.ToString());
        Assert.True(recording.GetProperty("recording").GetProperty("flagged").GetBoolean(), "the recording of a flagged visit is not flagged");
        var manifestVisit = recording.GetProperty("manifest").GetProperty("visit");
        Assert.True(manifestVisit.GetProperty("flagged").GetBoolean(), "the signed manifest says flagged: false");
        var flag = Assert.Single(manifestVisit.GetProperty("flags").EnumerateArray().ToList());
        Assert.Equal("officer-1", flag.GetProperty("by").GetString());
        var at = flag.GetProperty("at").GetDateTimeOffset();
        Assert.InRange(at, before.AddSeconds(-1), after.AddSeconds(1));

        var search = await server.Api.GetJsonAsync(investigator, "api/recordings?flagged=true");
        var found = search.EnumerateArray().Select(r => r.GetProperty("visit").GetString()).ToList();
        Assert.Contains(flaggedId, found);
        Assert.DoesNotContain(plainId, found);
        var unflagged = await server.Api.GetJsonAsync(investigator, "api/recordings?flagged=false");
        Assert.DoesNotContain(flaggedId, unflagged.EnumerateArray().Select(r => r.GetProperty("visit").GetString()));

        // Plain RTP legs: each track says its media was not authenticated, in the journal and in the signed manifest.
        var tracks = recording.GetProperty("manifest").GetProperty("tracks").EnumerateArray().ToList();
        Assert.NotEmpty(tracks);
        Assert.All(tracks, t => Assert.False(t.GetProperty("authenticated").GetBoolean()));
        var journalTracks = TrackRecords(Path.Combine(server.DataDirectory, "recordings", flaggedId, VisitRecorder.JournalFileName));
        Assert.Equal(tracks.Count, journalTracks.Count);
        Assert.All(journalTracks, t =>
        {
            Assert.False(t.GetProperty("authenticated").GetBoolean());
            Assert.Equal(flaggedId, t.GetProperty("visitId").GetString());
        });
    }

    [Fact]
    public async Task A_tampered_recordings_row_does_not_lead_retention_outside_the_root()
    {
        await using var tools = FakeFfmpeg.Failing();
        var environment = tools.Environment();
        environment["MediaServer__Recording__Retention"] = "00:00:08";
        environment["MediaServer__Recording__RetentionCheckInterval"] = "00:00:01";
        await using var server = await ServerProcess.StartAsync(output, null, environment);
        var investigator = await server.MintTokenAsync("investigator", "inv-1");

        // Directories an attacker with write access to the database would like deleted.
        var victim = Path.Combine(server.WorkDirectory, "victim");
        var sibling = Path.Combine(server.DataDirectory, "victim-2");
        foreach (var directory in new[] { victim, sibling })
        {
            Directory.CreateDirectory(directory);
            await File.WriteAllTextAsync(Path.Combine(directory, "keep.txt"), "evidence of something else");
        }

        var id = await RecordVisitAsync(server, investigator);
        var folder = Path.Combine(server.DataDirectory, "recordings", id);
        Assert.True(Directory.Exists(folder));
        await using (var connection = await OpenDatabaseAsync(server))
        {
            await using var point = connection.CreateCommand();
            point.CommandText = "UPDATE recordings SET directory = $victim WHERE visit_id = $id";
            point.Parameters.AddWithValue("$victim", victim);
            point.Parameters.AddWithValue("$id", id);
            Assert.Equal(1, await point.ExecuteNonQueryAsync());
            await using var forge = connection.CreateCommand();
            forge.CommandText = """
                INSERT INTO recordings (visit_id, state, directory, inmate_id, inmate_name, visitors, flagged, started_at, ended_at)
                VALUES ('../victim-2', 'rendered', $sibling, 'i1', 'Inmate', '[]', 0, '2000-01-01T00:00:00.0000000+00:00',
                        '2000-01-01T00:10:00.0000000+00:00')
                """;
            forge.Parameters.AddWithValue("$sibling", sibling);
            Assert.Equal(1, await forge.ExecuteNonQueryAsync());
        }

        await Poll.UntilAsync(() => server.Api.SendAsync(HttpMethod.Get, $"api/recordings/{id}", investigator),
            r => r.Status == HttpStatusCode.NotFound, TimeSpan.FromSeconds(60), "the recording to be purged", TimeSpan.FromMilliseconds(500));
        Assert.False(Directory.Exists(folder), "retention did not delete the recording's own folder");
        Assert.True(File.Exists(Path.Combine(victim, "keep.txt")), "retention deleted the directory the database row named");
        Assert.True(File.Exists(Path.Combine(sibling, "keep.txt")), "retention followed a '../' id out of the recordings root");
        var audit = await server.Api.GetAuditAsync(await server.MintTokenAsync("admin", "admin-1"));
        Assert.Contains(audit, e => e.Action == "recording.purge" && e.Target == "recording/" + id);
        Assert.DoesNotContain(audit, e => e.Action == "recording.purge" && (e.Target ?? "").Contains("victim", StringComparison.Ordinal));
        Assert.False(server.Process.HasExited, "the server died");
    }

    [Fact]
    [Trait("Category", "Render")]
    public async Task Recording_folders_are_owner_only_and_every_file_in_them_too()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var investigator = await server.MintTokenAsync("investigator", "inv-1");
        var id = await RecordVisitAsync(server, investigator, "rendered", "render_failed");
        var root = Path.Combine(server.DataDirectory, "recordings");
        var folder = Path.Combine(root, id);
        const UnixFileMode Owner = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(Owner, File.GetUnixFileMode(root));
        Assert.Equal(Owner, File.GetUnixFileMode(folder));
        var files = Directory.GetFileSystemEntries(folder);
        foreach (var name in new[] { VisitRecorder.JournalFileName, RecordingManifest.FileName, RecordingManifest.SignatureFileName, RecordingManifest.PublicKeyFileName })
        {
            Assert.Contains(Path.Combine(folder, name), files);
        }
        var recording = await server.Api.GetJsonAsync(investigator, $"api/recordings/{id}");
        if (recording.GetProperty("recording").GetProperty("state").GetString() == "rendered")
        {
            Assert.Contains(Path.Combine(folder, RecordingManifest.ReviewCopyFileName), files);
        }
        foreach (var entry in files)
        {
            var mode = File.GetUnixFileMode(entry);
            output.WriteLine($"{Path.GetFileName(entry)}: {mode}");
            Assert.True(mode == OwnerFile, $"{Path.GetFileName(entry)} is {mode}, not owner read/write only");
        }
    }

    [Fact]
    public async Task An_ffmpeg_that_never_finishes_is_killed_at_its_limit_and_the_attempt_reported()
    {
        await using var tools = FakeFfmpeg.Hanging();
        var environment = tools.Environment();
        environment["MediaServer__Recording__RenderTimeLimitMinimum"] = "00:00:03";
        environment["MediaServer__Recording__RenderTimeLimitFactor"] = "2";
        environment["MediaServer__Recording__RenderThreads"] = "2";
        await using var server = await ServerProcess.StartAsync(output, null, environment);
        var investigator = await server.MintTokenAsync("investigator", "inv-1");
        var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: DateTimeOffset.UtcNow);
        await using (var kiosk = new RtpParty("kiosk", 1))
        await using (var visitor = new RtpParty("visitor1", 2))
        {
            await visit.JoinAndRelayAsync(kiosk, visitor);
            await server.Api.TerminateAsync(visit.OfficerToken, visit.Id, "hanging render test");
        }
        var started = await Poll.UntilAsync(() => Task.FromResult(File.Exists(tools.PidFile)), s => s, TimeSpan.FromSeconds(60),
            "the renderer to start FFmpeg", TimeSpan.FromMilliseconds(100));
        var clock = Stopwatch.StartNew();
        var recording = await WaitForRecordingAsync(server, investigator, visit.Id, "render_failed", "rendered");
        var waited = clock.Elapsed;
        output.WriteLine(recording.ToString());
        var summary = recording.GetProperty("recording");
        Assert.Equal("render_failed", summary.GetProperty("state").GetString());
        var error = summary.GetProperty("error").GetString()!;
        Assert.Contains("did not finish the review copy within its limit", error, StringComparison.Ordinal);
        Assert.Contains("attempt 1 of 1", error, StringComparison.Ordinal);
        var media = recording.GetProperty("manifest").GetProperty("durationSeconds").GetDouble();
        var limit = Math.Max(3, 2 * media);
        output.WriteLine($"media {media:0.0} s, limit {limit:0.0} s, killed after {waited.TotalSeconds:0.0} s");
        Assert.True(waited.TotalSeconds < limit + 20, $"the hanging FFmpeg ran {waited.TotalSeconds:0.0} s, past its {limit:0.0} s limit");

        // Started at the lowest priority with bounded threads; it and its child are gone.
        var niceness = (await File.ReadAllTextAsync(tools.NiceFile)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("19", niceness[0]);
        Assert.Equal("idle", niceness[1]);
        var arguments = await File.ReadAllTextAsync(tools.ArgumentsFile);
        Assert.Contains("-threads 2 ", arguments, StringComparison.Ordinal);
        Assert.Contains("-filter_complex_threads 2 ", arguments, StringComparison.Ordinal);
        foreach (var pid in (await File.ReadAllTextAsync(tools.PidFile)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            await Poll.UntilAsync(() => Task.FromResult(!Directory.Exists("/proc/" + pid) || IsZombie(pid)), gone => gone,
                TimeSpan.FromSeconds(10), $"process {pid} of the hanging FFmpeg to be gone", TimeSpan.FromMilliseconds(100));
        }

        var metrics = await server.Api.GetMetricsAsync();
        Assert.Equal(1, metrics.Counter("mediaserver_recording_render_failures_total"));
        var audit = await server.Api.GetAuditAsync(await server.MintTokenAsync("admin", "admin-1"));
        Assert.Contains(audit, e => e.Action == "recording.render_failed" && e.Target == "recording/" + visit.Id
            && (e.Outcome ?? "").Contains("limit", StringComparison.Ordinal));
        Assert.True((await VerifyAsync(server, investigator, visit.Id)).GetProperty("ok").GetBoolean(), "the journal no longer verifies");
        _ = started;
    }

    // ---- helpers ----

    /// <summary>Records a short plain-RTP visit (kiosk + one visitor), ends it and waits for the recording to settle.</summary>
    private static async Task<string> RecordVisitAsync(ServerProcess server, string investigator, params string[] states)
    {
        var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: DateTimeOffset.UtcNow);
        await using (var kiosk = new RtpParty("kiosk", 1))
        await using (var visitor = new RtpParty("visitor1", 2))
        {
            await visit.JoinAndRelayAsync(kiosk, visitor);
            await server.Api.TerminateAsync(visit.OfficerToken, visit.Id, "recording trust test");
        }
        await WaitForRecordingAsync(server, investigator, visit.Id, states.Length > 0 ? states : ["render_failed", "rendered"]);
        return visit.Id;
    }

    private static async Task<JsonElement> WaitForRecordingAsync(ServerProcess server, string token, string visitId, params string[] states)
    {
        states = states.Length > 0 ? states : ["render_failed", "rendered"];
        return await Poll.UntilAsync(
            async () => await server.Api.GetJsonAsync(token, $"api/recordings/{visitId}", allowMissing: true),
            r => r.ValueKind == JsonValueKind.Object && states.Contains(r.GetProperty("recording").GetProperty("state").GetString()),
            Settle, $"recording {visitId} to be {string.Join(" or ", states)}", TimeSpan.FromMilliseconds(250));
    }

    private static Task<JsonElement> VerifyAsync(ServerProcess server, string token, string id) =>
        server.Api.GetJsonAsync(token, $"api/recordings/{id}/verify");

    private static async Task<string> KeyIdAsync(ServerProcess server, string token)
    {
        var key = await server.Api.GetJsonAsync(token, "api/recordings/public-key?format=json");
        var id = key.GetProperty("keyId").GetString()!;
        // The fingerprint is SHA-256 of the served key's SubjectPublicKeyInfo: anyone can recompute it.
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportFromPem(key.GetProperty("pem").GetString()!);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(ecdsa.ExportSubjectPublicKeyInfo())), id);
        return id;
    }


    private static List<string> Problems(JsonElement report) =>
        report.GetProperty("problems").EnumerateArray().Select(p => p.GetString()!).ToList();

    private static void Swap(string a, string b, params string[] names)
    {
        foreach (var name in names)
        {
            var pathA = Path.Combine(a, name);
            var pathB = Path.Combine(b, name);
            var bytesA = File.ReadAllBytes(pathA);
            File.WriteAllBytes(pathA, File.ReadAllBytes(pathB));
            File.WriteAllBytes(pathB, bytesA);
        }
    }

    private static Task<ProcessResult> RunVerifyAsync(string folder, params string[] more) =>
        ProcessRunner.RunAsync("dotnet", [RepoLayout.ServerDll, "verify", folder, .. more], TimeSpan.FromSeconds(30),
            new Dictionary<string, string>(), Path.GetDirectoryName(RepoLayout.ServerDll));

    private static async Task<SqliteConnection> OpenDatabaseAsync(ServerProcess server)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = server.DatabasePath,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
            DefaultTimeout = 10,
        };
        var connection = new SqliteConnection(builder.ToString());
        await connection.OpenAsync();
        return connection;
    }

    private static List<JsonElement> TrackRecords(string journal)
    {
        var tracks = new List<JsonElement>();
        JournalScanner.Scan(journal, (in JournalRecord record, long offset) =>
        {
            if (record.Type == JournalRecordType.Track)
            {
                using var json = JsonDocument.Parse(record.JsonBody.ToArray());
                tracks.Add(json.RootElement.Clone());
            }
        });
        return tracks;
    }

    private static bool IsZombie(string pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>A stand-in for FFmpeg: a shell script the server is pointed at with MediaServer:Recording:FfmpegPath.</summary>
    private sealed class FakeFfmpeg : IAsyncDisposable
    {
        private FakeFfmpeg(string script)
        {
            Directory.CreateDirectory(Folder);
            File.WriteAllText(Binary, script.Replace("@DIR@", Folder, StringComparison.Ordinal));
            File.SetUnixFileMode(Binary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        public string Folder { get; } = Path.Combine(Path.GetTempPath(), "mediaserver-it-ffmpeg", Guid.NewGuid().ToString("n")[..12]);

        public string Binary => Path.Combine(Folder, "ffmpeg");

        public string PidFile => Path.Combine(Folder, "pids");

        public string NiceFile => Path.Combine(Folder, "nice");

        public string ArgumentsFile => Path.Combine(Folder, "arguments");

        /// <summary>Fails every render at once (the recording is render_failed within seconds, its manifest signed).</summary>
        public static FakeFfmpeg Failing() => new("#!/bin/sh\necho 'simulated encoder failure' >&2\nexit 1\n");

        /// <summary>Writes its niceness, I/O class and arguments, then waits on a child that sleeps for ever.</summary>
        public static FakeFfmpeg Hanging() => new(
            "#!/bin/sh\nnice > @DIR@/nice.tmp; ionice >> @DIR@/nice.tmp; mv @DIR@/nice.tmp @DIR@/nice\necho \"$* \" > @DIR@/arguments\n" +
            "sleep 100000 &\nprintf '%s\\n%s\\n' $$ $! > @DIR@/pids.tmp; mv @DIR@/pids.tmp @DIR@/pids\nwait\n");

        public Dictionary<string, string> Environment() => new()
        {
            ["MediaServer__Recording__FfmpegPath"] = Binary,
            ["MediaServer__Recording__RenderAttempts"] = "1",
        };

        public ValueTask DisposeAsync()
        {
            try
            {
                Directory.Delete(Folder, recursive: true);
            }
            catch (IOException)
            {
            }
            return ValueTask.CompletedTask;
        }
    }
}
