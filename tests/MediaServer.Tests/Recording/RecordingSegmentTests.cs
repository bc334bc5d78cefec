using System.Diagnostics;
using System.Text.Json;
using MediaServer.Codecs.Recording;
using MediaServer.Recording;
using MediaServer.Recording.Journal;
using MediaServer.Recording.Manifest;
using MediaServer.Storage;
using MediaServer.Visits;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace MediaServer.Tests.Recording;

/// <summary>
/// Recordings in segments and failing closed, through <see cref="RecordingService"/> itself (no renderer): a visit that goes on
/// after a restart gets a continuation segment chained to the sealed one, the manifest lists both and the gap, verify checks
/// each segment and the link; a journal that cannot be created refuses the join under <c>refuse</c>.
/// </summary>
public sealed class RecordingSegmentTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "segment-tests", Guid.NewGuid().ToString("n"));

    public RecordingSegmentTests() => Directory.CreateDirectory(_data);

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    private sealed record Parts(RecordingService Service, RecordingStore Store, AuditLog Audit, RecordingMetrics Metrics, RecordingSigner Signer)
    {
        /// <summary>The service as the visits ask it before a join, and tell it what happened.</summary>
        public IJoinGate Gate => Service;

        public IVisitObserver Observer => Service;
    }

    private Parts Service(string onFailure = RecordingFailurePolicy.Refuse)
    {
        var options = new RecordingOptions { OnFailure = onFailure, FlushInterval = TimeSpan.FromMilliseconds(20) }.WithRoots(_data, _data + "-keys");
        var database = new Database(Path.Combine(_data, "mediaserver.db"));
        var store = new RecordingStore(database, Options.Create(options));
        var audit = new AuditLog(database, KeyDirectory.Open(_data + "-keys"), TimeProvider.System);
        var signer = new RecordingSigner(_data);
        var metrics = new RecordingMetrics();
        var service = new RecordingService(Options.Create(options), store, audit, signer, metrics, TimeProvider.System,
            NullLogger<RecordingService>.Instance);
        return new Parts(service, store, audit, metrics, signer);
    }

    private static Visit NewVisit(string id)
    {
        var now = DateTimeOffset.UtcNow;
        return new Visit(id, new Person("i1", "Inmate One"), [new Person("v1", "Visitor One")], now.AddMinutes(-1), now.AddHours(1),
            privileged: false, flagged: false, now);
    }

    private static void Record(VisitRecorder recorder, string participant, int packets)
    {
        var track = recorder.AddTrack(new { participant, role = "kiosk", kind = "video", clockRate = 90000 }, participant);
        var packet = new byte[200];
        packet[0] = 0x80;
        packet[1] = 96;
        for (var i = 0; i < packets; i++)
        {
            packet[3] = (byte)i;
            Assert.True(recorder.OnRtp(track, packet, Stopwatch.GetTimestamp()));
        }
    }

    private static async Task<RecordingRow> WaitForState(RecordingStore store, string id, RecordingState state)
    {
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 30;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (store.Load(id) is { } row && row.State == state)
            {
                return row;
            }
            await Task.Delay(20);
        }
        throw new TimeoutException($"recording {id} never became {state}: {store.Load(id)}");
    }

    [Fact]
    public async Task A_visit_that_goes_on_after_a_restart_records_a_chained_second_segment_listed_with_the_gap_and_verified()
    {
        var visit = NewVisit("seg-1");
        var first = Service();
        await first.Service.StartAsync(CancellationToken.None);
        Assert.Null(first.Gate.PrepareJoin(visit));
        Record(first.Service.ActiveRecorder(visit.Id)!, "i1", 40);
        await first.Service.StopAsync(CancellationToken.None); // graceful: segment 1 sealed "server stopped"
        first.Service.Dispose();

        var second = Service();
        await second.Service.StartAsync(CancellationToken.None);
        Assert.Null(second.Gate.PrepareJoin(visit));
        var recorder = second.Service.ActiveRecorder(visit.Id)!;
        Assert.Equal(2, recorder.Segment);
        Record(recorder, "i1", 25);
        second.Observer.OnEnded(visit, "every party left");
        await WaitForState(second.Store, visit.Id, RecordingState.RenderFailed); // no renderer: manifest without a review copy
        await second.Service.StopAsync(CancellationToken.None);
        second.Service.Dispose();

        var folder = Path.Combine(_data, "recordings", visit.Id);
        Assert.True(File.Exists(Path.Combine(folder, "journal-0002.msj")));
        var manifest = JsonSerializer.Deserialize<RecordingManifest>(File.ReadAllBytes(Path.Combine(folder, RecordingManifest.FileName)),
            RecordingManifest.Json)!;
        Assert.Equal(RecordingManifest.FormatName, manifest.Format);
        Assert.Equal(2, manifest.Segments!.Count);
        Assert.Equal(["journal.msj", "journal-0002.msj"], manifest.Segments.Select(s => s.File));
        Assert.Equal(manifest.Segments[0].ChainHash, manifest.Segments[1].PreviousChainHash);
        Assert.All(manifest.Segments, s => Assert.Equal("sealed", s.State));
        var gap = Assert.Single(manifest.SegmentGaps!);
        Assert.Equal(1, gap.AfterSegment);
        Assert.Equal("server stopped", gap.Reason);
        Assert.True(gap.To >= gap.From);
        // Track ids run on across segments: one id, one track, in the whole recording.
        Assert.Equal([1, 2], manifest.Tracks.Select(t => t.Id).Order());

        using var key = second.Signer.PublicKey();
        var clean = RecordingVerifier.Verify(folder, key);
        Assert.True(clean.Ok, string.Join("; ", clean.Problems));

        var segment2 = Path.Combine(folder, "journal-0002.msj");
        var bytes = File.ReadAllBytes(segment2);
        var at = bytes.Length / 2;
        bytes[at] ^= 0x20;
        File.WriteAllBytes(segment2, bytes);
        var flipped = RecordingVerifier.Verify(folder, key);
        Assert.False(flipped.Ok);
        Assert.False(flipped.ChainValid);
        Assert.Contains(flipped.Problems, p => p.StartsWith("journal: segment 2 (journal-0002.msj)", StringComparison.Ordinal));
        bytes[at] ^= 0x20;
        File.WriteAllBytes(segment2, bytes);

        // A segment slipped into the folder that the signed manifest does not list is named.
        File.Copy(segment2, Path.Combine(folder, "journal-0003.msj"));
        var extra = RecordingVerifier.Verify(folder, key);
        Assert.False(extra.Ok);
        Assert.Contains(extra.Problems, p => p.Contains("journal-0003.msj is in the folder but the manifest does not list it", StringComparison.Ordinal));
        File.Delete(Path.Combine(folder, "journal-0003.msj"));
        Assert.True(RecordingVerifier.Verify(folder, key).Ok);
    }

    [Fact]
    public async Task A_continuation_whose_Begin_names_another_chain_hash_is_reported_as_not_continuing_the_segment_before()
    {
        var visit = NewVisit("seg-2");
        var first = Service();
        await first.Service.StartAsync(CancellationToken.None);
        Assert.Null(first.Gate.PrepareJoin(visit));
        Record(first.Service.ActiveRecorder(visit.Id)!, "i1", 10);
        await first.Service.StopAsync(CancellationToken.None);
        first.Service.Dispose();
        var folder = Path.Combine(_data, "recordings", visit.Id);
        var original = File.ReadAllBytes(Path.Combine(folder, "journal.msj"));

        var second = Service();
        await second.Service.StartAsync(CancellationToken.None);
        Assert.Null(second.Gate.PrepareJoin(visit));
        Record(second.Service.ActiveRecorder(visit.Id)!, "i1", 10);
        second.Observer.OnEnded(visit, "every party left");
        await WaitForState(second.Store, visit.Id, RecordingState.RenderFailed);
        await second.Service.StopAsync(CancellationToken.None);
        second.Service.Dispose();

        // Someone replaces segment 1 with another sealed journal and re-signs a manifest for it (a key thief): the link from
        // segment 2 still names the original's chain hash, so the substitution shows.
        var forged = Path.Combine(_data, "forged");
        using (var other = VisitRecorder.Create(visit.Id, forged, 64 * 1024, TimeSpan.FromSeconds(1)))
        {
            other.Begin(new { visitId = visit.Id });
            other.RequestSeal("forged");
            other.WriteOnce(Stopwatch.GetTimestamp());
        }
        File.Copy(Path.Combine(forged, "journal.msj"), Path.Combine(folder, "journal.msj"), overwrite: true);
        var parts = Service();
        var row = parts.Store.Load(visit.Id)!;
        parts.Service.WriteManifest(row, Path.Combine(folder, "journal.msj"), null, null, "re-signed");
        using var key = parts.Signer.PublicKey();
        var report = RecordingVerifier.Verify(folder, key);
        Assert.False(report.Ok);
        Assert.Contains(report.Problems, p => p.Contains("does not continue segment 1 as found", StringComparison.Ordinal));
        File.WriteAllBytes(Path.Combine(folder, "journal.msj"), original);
        parts.Service.Dispose();
    }

    [Fact]
    public async Task A_journal_that_cannot_be_created_refuses_the_join_with_503_counts_and_audits_it_and_retries_only_after_a_pause()
    {
        var parts = Service();
        await parts.Service.StartAsync(CancellationToken.None);
        var visit = NewVisit("seg-3");
        // The visit's folder cannot be made: a file is in its place.
        File.WriteAllText(Path.Combine(parts.Service.RootDirectory, visit.Id), "in the way");

        var refusal = parts.Gate.PrepareJoin(visit);
        Assert.NotNull(refusal);
        Assert.Equal(503, refusal.Status);
        Assert.Equal(RecordingService.UnrecordedDetail, refusal.Detail);
        Assert.StartsWith("This visit cannot be recorded, so it cannot take place now", refusal.Detail, StringComparison.Ordinal);
        Assert.Equal(1, parts.Metrics.Failures);
        Assert.Equal(1, parts.Metrics.JoinsRefused);
        Assert.Equal(1, parts.Metrics.Unrecorded);
        Assert.Equal(RecordingState.Failed, parts.Store.Load(visit.Id)!.State);

        // A second join at once is refused from what is known: no new attempt, no new failure row in the audit log.
        Assert.NotNull(parts.Gate.PrepareJoin(visit));
        Assert.Equal(1, parts.Metrics.Failures);
        Assert.Equal(2, parts.Metrics.JoinsRefused);
        Assert.Single(parts.Audit.Query(null, null, null, null), e => e.Action == "recording.failed");

        // The visit ends: the alert for it is over.
        parts.Observer.OnEnded(visit, "scheduled end");
        Assert.Equal(0, parts.Metrics.Unrecorded);
        await parts.Service.StopAsync(CancellationToken.None);
        parts.Service.Dispose();
    }

    [Fact]
    public async Task Continue_and_alert_lets_an_unrecordable_visit_join_but_still_counts_and_audits_the_failure()
    {
        var parts = Service(RecordingFailurePolicy.ContinueAndAlert);
        await parts.Service.StartAsync(CancellationToken.None);
        var visit = NewVisit("seg-4");
        File.WriteAllText(Path.Combine(parts.Service.RootDirectory, visit.Id), "in the way");
        Assert.Null(parts.Gate.PrepareJoin(visit));
        Assert.Equal(1, parts.Metrics.Failures);
        Assert.Equal(0, parts.Metrics.JoinsRefused);
        Assert.Equal(1, parts.Metrics.Unrecorded);
        Assert.Contains(parts.Audit.Query(null, null, null, null), e => e.Action == "recording.failed");
        await parts.Service.StopAsync(CancellationToken.None);
        parts.Service.Dispose();
    }

    [Fact]
    public async Task A_torn_tail_cut_by_recovery_is_covered_by_the_manifest_and_a_changed_tail_fails_verify()
    {
        var visit = NewVisit("seg-5");
        var parts = Service();
        var folder = Path.Combine(_data, "recordings", visit.Id);
        // A journal the server died writing: records flushed, no End, half a record at the end.
        using (var recorder = VisitRecorder.Create(visit.Id, folder, 64 * 1024, TimeSpan.FromSeconds(1)))
        {
            recorder.Begin(new { visitId = visit.Id, segment = 1 });
            Record(recorder, "i1", 20);
            recorder.WriteOnce(Stopwatch.GetTimestamp());
        }
        await using (var journal = new FileStream(Path.Combine(folder, "journal.msj"), FileMode.Append))
        {
            journal.Write([0, 0, 1, 0, 3, 9, 9, 9]);
        }
        parts.Store.Insert(visit, folder, DateTimeOffset.UtcNow);
        await parts.Service.StartAsync(CancellationToken.None); // recovery
        await WaitForState(parts.Store, visit.Id, RecordingState.RenderFailed);
        await parts.Service.StopAsync(CancellationToken.None);
        parts.Service.Dispose();

        var manifest = JsonSerializer.Deserialize<RecordingManifest>(File.ReadAllBytes(Path.Combine(folder, RecordingManifest.FileName)),
            RecordingManifest.Json)!;
        var segment = Assert.Single(manifest.Segments!);
        Assert.Equal("recovered", segment.State);
        Assert.Equal(8, segment.CutBytes);
        Assert.Equal("journal.tail", segment.Tail!.File);
        Assert.Equal(8, segment.Tail.Bytes);
        using var key = parts.Signer.PublicKey();
        Assert.True(RecordingVerifier.Verify(folder, key).Ok);
        var tail = Path.Combine(folder, "journal.tail");
        var bytes = File.ReadAllBytes(tail);
        bytes[5] ^= 1;
        File.WriteAllBytes(tail, bytes);
        var report = RecordingVerifier.Verify(folder, key);
        Assert.False(report.Ok);
        Assert.Contains(report.Problems, p => p.Contains("journal.tail's SHA-256 differs", StringComparison.Ordinal));
    }

    [Fact]
    public void Drops_are_counted_per_track_and_the_journals_Event_records_add_up_to_the_recorders_count()
    {
        var folder = Path.Combine(_data, "drops");
        using var recorder = VisitRecorder.Create("drops", folder, 8 * 1024, TimeSpan.FromSeconds(1));
        var video = recorder.AddTrack(new { participant = "i1", kind = "video" }, "i1");
        var audio = recorder.AddTrack(new { participant = "v1", kind = "audio" }, "v1");
        var packet = new byte[1000];
        var accepted = new Dictionary<uint, int> { [video] = 0, [audio] = 0 };
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < 30; i++)
            {
                var track = i % 3 == 0 ? audio : video;
                accepted[track] += recorder.OnRtp(track, packet, Stopwatch.GetTimestamp()) ? 1 : 0;
            }
            recorder.WriteOnce(Stopwatch.GetTimestamp());
        }
        recorder.RequestSeal("test");
        recorder.WriteOnce(Stopwatch.GetTimestamp());
        var droppedVideo = 60 - accepted[video];
        var droppedAudio = 30 - accepted[audio];
        Assert.True(droppedVideo > 0 && droppedAudio > 0, $"video {droppedVideo}, audio {droppedAudio}");
        Assert.Equal(droppedVideo + droppedAudio, recorder.DroppedPackets);

        var facts = JournalFacts.Read(recorder.JournalPath);
        Assert.Equal(recorder.DroppedPackets, facts.DroppedPackets);
        Assert.Equal(droppedVideo, facts.DroppedByTrack[(int)video]);
        Assert.Equal(droppedAudio, facts.DroppedByTrack[(int)audio]);
        Assert.False(facts.DroppedByTrack.ContainsKey(0));
    }

    [Fact]
    public void Segment_files_are_numbered_in_order_and_a_hole_ends_the_list()
    {
        var folder = Path.Combine(_data, "names");
        Directory.CreateDirectory(folder);
        Assert.Equal("journal.msj", JournalSegments.FileName(1));
        Assert.Equal("journal-0002.msj", JournalSegments.FileName(2));
        Assert.Equal("journal-0002.tail", JournalSegments.TailFileName(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => JournalSegments.FileName(0));
        foreach (var name in new[] { "journal.msj", "journal-0002.msj", "journal-0004.msj" })
        {
            File.WriteAllText(Path.Combine(folder, name), "");
        }
        Assert.Equal(["journal.msj", "journal-0002.msj"], JournalSegments.InOrder(folder).Select(Path.GetFileName));
        Assert.Equal(["journal-0004.msj"], JournalSegments.Unlisted(folder, 2));
        Assert.Equal(2, JournalSegments.Of(Path.Combine(folder, "journal.msj")).Count);
    }
}
