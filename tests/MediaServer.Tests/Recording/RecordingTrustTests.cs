using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using MediaServer.Hosting;
using MediaServer.Hosting.Cli;
using MediaServer.Recording;
using MediaServer.Recording.Journal;
using MediaServer.Recording.Manifest;
using MediaServer.Recording.Review;
using MediaServer.Storage;
using MediaServer.Visits;
using Microsoft.Extensions.Logging.Abstractions;

namespace MediaServer.Tests.Recording;

/// <summary>
/// What makes a recording folder trustworthy on its own: the id in folder, manifest and journal agree; journal.tail is covered;
/// offline verify trusts only a pinned key; folders are derived from the root and a validated id; files are owner-only;
/// FFmpeg runs at low priority within a time limit.
/// </summary>
public sealed class RecordingTrustTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "recording-trust-tests", Guid.NewGuid().ToString("n"));
    private readonly RecordingSigner _signer;

    public RecordingTrustTests()
    {
        var keys = Path.Combine(_root, "keys");
        Directory.CreateDirectory(keys);
        _signer = new RecordingSigner(keys);
    }

    public void Dispose()
    {
        _signer.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Theory]
    [InlineData("v-1_A", true)]
    [InlineData("", false)]
    [InlineData(".", false)]
    [InlineData("..", false)]
    [InlineData("../outside", false)]
    [InlineData("a/b", false)]
    [InlineData("/etc", false)]
    [InlineData("a\\b", false)]
    [InlineData("visit.1", false)]
    public void Only_plain_ids_name_a_folder_and_the_folder_is_a_child_of_the_root(string id, bool safe)
    {
        Assert.Equal(safe, RecordingPaths.IsSafeId(id));
        var folder = RecordingPaths.FolderOf(_root, id);
        if (safe)
        {
            Assert.Equal(Path.Combine(_root, id), folder);
        }
        else
        {
            Assert.Null(folder);
        }
        Assert.False(RecordingPaths.IsSafeId(new string('a', 65)));
    }

    [Fact]
    public void A_row_whose_directory_column_points_elsewhere_still_maps_to_the_root_and_an_unsafe_id_is_not_returned()
    {
        var database = new Database(Path.Combine(_root, "test.db"));
        var store = new RecordingStore(database, Path.Combine(_root, "recordings"));
        var visit = new Visit("v1", new Person("i1", "Inmate"), [new Person("v1", "Visitor")], DateTimeOffset.UtcNow,
            DateTimeOffset.UtcNow.AddHours(1), privileged: false, flagged: false, DateTimeOffset.UtcNow);
        store.Insert(visit, "/etc", DateTimeOffset.UtcNow);
        using (var connection = database.Open())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                INSERT INTO recordings (visit_id, state, directory, inmate_id, inmate_name, visitors, flagged, started_at)
                VALUES ('../victim', 'rendered', '/tmp', 'i', 'I', '[]', 0, '2000-01-01T00:00:00.0000000+00:00')
                """;
            command.ExecuteNonQuery();
        }
        Assert.Equal(Path.Combine(_root, "recordings", "v1"), store.Load("v1")!.Directory);
        Assert.Null(store.Load("../victim"));
        Assert.DoesNotContain(store.LoadByState(RecordingState.Rendered, RecordingState.Recording), r => r.VisitId == "../victim");
    }

    [Fact]
    public void An_officer_flag_flags_the_recording_whether_made_before_or_after_it_started()
    {
        var database = new Database(Path.Combine(_root, "flags.db"));
        var store = new RecordingStore(database, Path.Combine(_root, "recordings"));
        var flags = new FlagStore(database);
        Visit Make(string id) => new(id, new Person("i1", "Inmate"), [], DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1),
            privileged: false, flagged: false, DateTimeOffset.UtcNow);
        flags.Insert("early", new VisitFlag(DateTimeOffset.UtcNow, "officer-1", "before the call"));
        store.Insert(Make("early"), "", DateTimeOffset.UtcNow);
        store.Insert(Make("late"), "", DateTimeOffset.UtcNow);
        Assert.True(store.Load("early")!.Flagged);
        Assert.False(store.Load("late")!.Flagged);
        flags.Insert("late", new VisitFlag(DateTimeOffset.UtcNow, "officer-2", "during the call"));
        store.SetFlagged("late");
        Assert.True(store.Load("late")!.Flagged);
        Assert.Equal(["early", "late"], store.Search(null, null, null, null, flagged: true).Select(r => r.VisitId).Order());
        var only = Assert.Single(store.FlagsOf("late"));
        Assert.Equal("officer-2", only.By);
    }

    [Fact]
    public void A_sealed_recording_verifies_and_its_files_are_owner_only()
    {
        var folder = MakeRecording("rec-a");
        using var key = _signer.PublicKey();
        var report = RecordingVerifier.Verify(folder, key);
        Assert.True(report.Ok, string.Join("; ", report.Problems));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(RecordingPaths.FolderMode, File.GetUnixFileMode(folder));
            foreach (var file in Directory.GetFiles(folder))
            {
                Assert.True(File.GetUnixFileMode(file) == RecordingPaths.FileMode, $"{file}: {File.GetUnixFileMode(file)}");
            }
        }
    }

    [Fact]
    public void Another_recordings_files_in_a_folder_fail_verify_naming_the_id()
    {
        var a = MakeRecording("rec-a");
        var b = MakeRecording("rec-b");
        foreach (var name in new[] { RecordingManifest.FileName, RecordingManifest.SignatureFileName, VisitRecorder.JournalFileName })
        {
            File.Copy(Path.Combine(b, name), Path.Combine(a, name), overwrite: true);
        }
        using var key = _signer.PublicKey();
        var report = RecordingVerifier.Verify(a, key);
        Assert.False(report.Ok);
        Assert.True(report.SignatureValid); // B's signature is genuine; only the id gives it away.
        Assert.Contains(report.Problems, p => p.StartsWith("id: the manifest is of recording rec-b, not rec-a", StringComparison.Ordinal));
        Assert.Contains(report.Problems, p => p.StartsWith("id: the journal is of recording rec-b, not rec-a", StringComparison.Ordinal));
        // The API names the id it means; a folder under another name fails too.
        var byApi = RecordingVerifier.Verify(b, key, "rec-a");
        Assert.Contains(byApi.Problems, p => p.StartsWith("id: the folder is named 'rec-b'", StringComparison.Ordinal));
    }

    [Fact]
    public void Journal_tail_is_covered_by_the_manifest_changed_removed_or_added_fails()
    {
        var folder = MakeRecording("rec-t", tail: [1, 2, 3, 4]);
        using var key = _signer.PublicKey();
        Assert.True(RecordingVerifier.Verify(folder, key).Ok);
        var tail = Path.Combine(folder, RecordingManifest.JournalTailFileName);
        File.WriteAllBytes(tail, [1, 2, 3, 5]);
        Assert.Contains(RecordingVerifier.Verify(folder, key).Problems, p => p.StartsWith("tail: journal.tail's SHA-256 differs", StringComparison.Ordinal));
        File.Delete(tail);
        Assert.Contains(RecordingVerifier.Verify(folder, key).Problems, p => p.StartsWith("tail: journal.tail is missing", StringComparison.Ordinal));

        var plain = MakeRecording("rec-u");
        File.WriteAllBytes(Path.Combine(plain, RecordingManifest.JournalTailFileName), [9]);
        Assert.Contains(RecordingVerifier.Verify(plain, key).Problems, p => p.StartsWith("tail: journal.tail is present", StringComparison.Ordinal));
    }

    [Fact]
    public void A_later_journal_file_of_another_recording_or_an_uncovered_later_tail_fails_verify()
    {
        var a = MakeRecording("rec-s");
        var b = MakeRecording("rec-o");
        using var key = _signer.PublicKey();
        File.Copy(Path.Combine(b, VisitRecorder.JournalFileName), Path.Combine(a, "journal-0002.msj"));
        Assert.Contains(RecordingVerifier.Verify(a, key).Problems, p => p == "id: journal-0002.msj is of recording rec-o, not rec-s");
        File.WriteAllBytes(Path.Combine(a, "journal-0002.tail"), [7, 7]);
        Assert.Contains(RecordingVerifier.Verify(a, key).Problems, p => p.StartsWith("tail: journal-0002.tail is present", StringComparison.Ordinal));
    }

    [Fact]
    public void Offline_verify_without_a_pinned_key_says_so_and_fails()
    {
        var folder = MakeRecording("rec-k");
        var (code, stdout, stderr) = RunVerify(folder);
        Assert.Equal(VerifyCommand.ExitNoPinnedKey, code);
        Assert.Contains(VerifyCommand.NoPinnedKey, stdout, StringComparison.Ordinal);
        Assert.Contains(VerifyCommand.NoPinnedKey, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("OK:", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Offline_verify_with_the_pinned_key_id_or_key_passes_and_with_another_fails()
    {
        var folder = MakeRecording("rec-p");
        Assert.Equal(0, RunVerify(folder, "--key-id", _signer.KeyId).Code);
        Assert.Equal(0, RunVerify(folder, "--key-id", string.Join(':', Convert.FromHexString(_signer.KeyId).Select(b => b.ToString("X2")))).Code);
        var pem = Path.Combine(_root, "facility.pem");
        File.WriteAllText(pem, _signer.PublicKeyPem);
        Assert.Equal(0, RunVerify(folder, "--key", pem).Code);

        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var otherId = RecordingSigner.KeyIdOf(other);
        var wrongId = RunVerify(folder, "--key-id", otherId);
        Assert.Equal(VerifyCommand.ExitFailed, wrongId.Code);
        Assert.Contains("not the pinned key " + otherId, wrongId.Stdout, StringComparison.Ordinal);
        var otherPem = Path.Combine(_root, "other.pem");
        File.WriteAllText(otherPem, other.ExportSubjectPublicKeyInfoPem());
        Assert.Equal(VerifyCommand.ExitFailed, RunVerify(folder, "--key", otherPem).Code);

        // A forger re-signs with their own key and bundles it: pinning the facility's key id catches it.
        var forged = other.SignData(File.ReadAllBytes(Path.Combine(folder, RecordingManifest.FileName)), HashAlgorithmName.SHA256,
            DSASignatureFormat.Rfc3279DerSequence);
        File.WriteAllBytes(Path.Combine(folder, RecordingManifest.SignatureFileName), forged);
        File.WriteAllText(Path.Combine(folder, RecordingManifest.PublicKeyFileName), other.ExportSubjectPublicKeyInfoPem());
        Assert.Equal(VerifyCommand.ExitNoPinnedKey, RunVerify(folder).Code);
        Assert.Equal(VerifyCommand.ExitFailed, RunVerify(folder, "--key-id", _signer.KeyId).Code);
        Assert.Equal(VerifyCommand.ExitUsage, RunVerify(folder, "--key-id", "abcd").Code);
    }

    [Fact]
    public void The_render_time_limit_is_twice_the_media_length_and_at_least_the_minimum()
    {
        var renderer = new ReviewRenderer(NullLogger<ReviewRenderer>.Instance,
            new ReviewRenderOptions { TimeLimitFactor = 2, TimeLimitMinimum = TimeSpan.FromSeconds(60) });
        Assert.Equal(TimeSpan.FromSeconds(60), renderer.TimeLimitFor(TimeSpan.FromSeconds(5)));
        Assert.Equal(TimeSpan.FromSeconds(600), renderer.TimeLimitFor(TimeSpan.FromSeconds(300)));
        Assert.Equal(TimeSpan.FromSeconds(60), renderer.TimeLimitFor(TimeSpan.FromSeconds(-3)));
    }

    [Fact]
    public async Task FFmpeg_children_start_at_the_lowest_priority()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        // `nice` with no arguments prints the niceness it runs at: the child's; `chrt -p $$` the scheduling policy of the shell.
        using var run = FfmpegProcess.Start("/bin/sh", ["-c", "nice; ionice; chrt -p $$ || true"], _root, lowPriority: true);
        var text = await run.Process.StandardOutput.ReadToEndAsync();
        await run.Process.WaitForExitAsync();
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("19", lines[0]);
        Assert.True(run.LowPriority);
        if (File.Exists("/usr/bin/ionice"))
        {
            Assert.Equal("idle", lines[1]);
        }
        if (FfmpegProcess.IdleScheduling)
        {
            Assert.Contains(lines, line => line.Contains("SCHED_IDLE", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_renders_own_work_runs_on_a_thread_under_SCHED_IDLE_and_the_caller_keeps_its_policy()
    {
        Assert.True(OperatingSystem.IsLinux(), "renders run on Linux");
        var callerPolicy = IdlePriorityThread.CurrentPolicy();

        var (policy, name) = await IdlePriorityThread.Run("render-test", lower: true,
            () => (IdlePriorityThread.CurrentPolicy(), Thread.CurrentThread.Name), CancellationToken.None);
        var (unlowered, _) = await IdlePriorityThread.Run("render-test", lower: false,
            () => (IdlePriorityThread.CurrentPolicy(), Thread.CurrentThread.Name), CancellationToken.None);

        Assert.Equal(IdlePriorityThread.IdlePolicy, policy);
        Assert.Equal("render-test", name);
        Assert.Equal(0, unlowered); // SCHED_OTHER
        Assert.Equal(callerPolicy, IdlePriorityThread.CurrentPolicy());
        // What the work throws reaches the caller as it was thrown.
        await Assert.ThrowsAsync<InvalidDataException>(() =>
            IdlePriorityThread.Run<int>("render-test", lower: true, () => throw new InvalidDataException("torn journal"), CancellationToken.None));
    }

    private static (int Code, string Stdout, string Stderr) RunVerify(string folder, params string[] more)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = VerifyCommand.Run([folder, .. more], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A small sealed recording as the server leaves it: journal, manifest, signature, bundled key (and a tail).</summary>
    private string MakeRecording(string id, byte[]? tail = null)
    {
        var folder = Path.Combine(_root, "recordings", id);
        using (var recorder = VisitRecorder.Create(id, folder, 1 << 16, TimeSpan.FromMilliseconds(500)))
        {
            recorder.Begin(new { visitId = id });
            var track = recorder.AddTrack(new { visitId = id, participant = "i1", kind = "audio", authenticated = false });
            recorder.OnRtp(track, [0x80, 111, 0, 1, 0, 0, 0, 1, 0, 0, 0, 7], Stopwatch.GetTimestamp());
            recorder.RequestSeal("test");
            Assert.True(recorder.WriteOnce(Stopwatch.GetTimestamp()));
        }
        var journal = Path.Combine(folder, VisitRecorder.JournalFileName);
        var tails = new List<ManifestFile>();
        if (tail is not null)
        {
            var path = Path.Combine(folder, RecordingManifest.JournalTailFileName);
            using (var stream = new FileStream(path, RecordingPaths.NewFile()))
            {
                stream.Write(tail);
            }
            tails.Add(new ManifestFile(RecordingManifest.JournalTailFileName, JournalScanner.Sha256OfFile(path), tail.Length));
        }
        var scan = JournalScanner.Scan(journal);
        var now = DateTimeOffset.UtcNow;
        var manifest = new RecordingManifest(RecordingManifest.FormatName,
            new ManifestVisit(id, new Person("i1", "Inmate"), [], now, now, false), now, now, 0, [],
            new ManifestJournal(VisitRecorder.JournalFileName, scan.Sha256, scan.FileLength, scan.Records,
                Convert.ToHexStringLower(scan.ChainHash), false, 0, 0),
            null, null, [], [], now, _signer.KeyId) { JournalTails = tails };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(manifest, RecordingManifest.Json);
        foreach (var (name, content) in new[]
                 {
                     (RecordingManifest.FileName, bytes), (RecordingManifest.SignatureFileName, _signer.Sign(bytes)),
                     (RecordingManifest.PublicKeyFileName, System.Text.Encoding.ASCII.GetBytes(_signer.PublicKeyPem)),
                 })
        {
            using var stream = new FileStream(Path.Combine(folder, name), RecordingPaths.NewFile());
            stream.Write(content);
        }
        return folder;
    }
}
