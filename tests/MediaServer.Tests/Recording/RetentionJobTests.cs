using MediaServer.Recording;
using MediaServer.Recording.Retention;
using MediaServer.Visits;
using Microsoft.Extensions.Logging.Abstractions;

namespace MediaServer.Tests.Recording;

/// <summary>Retention on its own, over a fake recordings index and audit log: what is purged, what is kept, what is said.</summary>
public sealed class RetentionJobTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "retention-tests", Guid.NewGuid().ToString("n"));
    private readonly DateTimeOffset _now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private sealed class Store(string root, List<RecordingRow> rows) : IRecordingStore
    {
        public List<(string Id, RecordingState State)> States { get; } = [];
        public string Root => root;
        public IReadOnlyList<RecordingRow> LoadByState(params RecordingState[] states) => [.. rows.Where(r => states.Contains(r.State))];
        public void SetState(string visitId, RecordingState state, string? error = null, DateTimeOffset? endedAt = null,
            double? durationSeconds = null, bool? recovered = null) => States.Add((visitId, state));
        public void Insert(Visit visit, string directory, DateTimeOffset startedAt) => throw new NotSupportedException();
        public void RenderAttemptFailed(string visitId, string error, DateTimeOffset nextAttempt) => throw new NotSupportedException();
        public void SetFlagged(string visitId) => throw new NotSupportedException();
        public IReadOnlyList<VisitFlag> FlagsOf(string visitId) => throw new NotSupportedException();
        public void SetHold(string visitId, bool hold) => throw new NotSupportedException();
        public RecordingRow? Load(string visitId) => throw new NotSupportedException();
        public IReadOnlyList<RecordingRow> Search(string? inmate, string? visitor, DateTimeOffset? from, DateTimeOffset? to, bool? flagged,
            int limit = 500) => throw new NotSupportedException();
    }

    private sealed class Audit : IAuditLog
    {
        public List<(string Action, string Target, string Outcome)> Entries { get; } = [];
        public AuditEntry Append(string actor, string role, string action, string target, string outcome)
        {
            Entries.Add((action, target, outcome));
            return new AuditEntry(Entries.Count, DateTimeOffset.UnixEpoch, actor, role, action, target, outcome);
        }
        public AuditHead CurrentHead() => throw new NotSupportedException();
        public IReadOnlyList<AuditEntry> Query(DateTimeOffset? from, DateTimeOffset? to, string? actor, string? visit, int limit = 1000) =>
            throw new NotSupportedException();
        public AuditVerification Verify() => throw new NotSupportedException();
        public AuditVerification? LastVerification => null;
        public long Coalesced => 0;
    }

    private RecordingRow Row(string id, RecordingState state, TimeSpan endedAgo, bool hold = false)
    {
        var folder = Path.Combine(_data, "recordings", id);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "journal.msj"), "x");
        return new RecordingRow(id, state, folder, new Person("i1", "Inmate One"), [], false, _now - endedAgo - TimeSpan.FromHours(1),
            _now - endedAgo, 3600, hold, null, 0, null, false);
    }

    [Fact]
    public void Only_expired_recordings_that_are_neither_held_nor_written_are_purged_and_each_purge_is_audited()
    {
        var options = new RecordingOptions { Retention = TimeSpan.FromDays(30) }.WithRoots(_data, _data + "-keys");
        var rows = new List<RecordingRow>
        {
            Row("old", RecordingState.Rendered, TimeSpan.FromDays(31)),
            Row("held", RecordingState.Rendered, TimeSpan.FromDays(400), hold: true),
            Row("recent", RecordingState.RenderFailed, TimeSpan.FromDays(29)),
            Row("active", RecordingState.Failed, TimeSpan.FromDays(90)),
            Row("sealed", RecordingState.Sealed, TimeSpan.FromDays(90)), // still waiting for its render: not the job's
        };
        var store = new Store(options.RootDirectory, rows);
        var audit = new Audit();
        var metrics = new RecordingMetrics();
        var job = new RetentionJob(options, store, audit, metrics, new FixedTime(_now), NullLogger.Instance, id => id == "active");

        Assert.Equal(1, job.PurgeExpired());

        Assert.False(Directory.Exists(Path.Combine(_data, "recordings", "old")));
        foreach (var kept in new[] { "held", "recent", "active", "sealed" })
        {
            Assert.True(Directory.Exists(Path.Combine(_data, "recordings", kept)), kept);
        }
        Assert.Equal([("old", RecordingState.Purged)], store.States);
        Assert.Equal(1, metrics.Purged);
        var entry = Assert.Single(audit.Entries);
        Assert.Equal(("recording.purge", "recording/old"), (entry.Action, entry.Target));
        Assert.StartsWith("retention 30 days; visit ended ", entry.Outcome, StringComparison.Ordinal);
    }
}
