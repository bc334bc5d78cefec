using MediaServer.Storage;
using MediaServer.Visits.Timeline;
using Microsoft.Data.Sqlite;

namespace MediaServer.Tests.Storage;

public sealed class TimelineStoreTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("timeline-test-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private TimelineStore Open() => new(new Database(Path.Combine(_directory, "test.db")));

    [Fact]
    public void Entries_come_back_in_order_with_every_field_and_apart_from_other_visits_after_a_reopen()
    {
        var at = new DateTimeOffset(2026, 12, 6, 21, 0, 0, TimeSpan.Zero);
        var store = Open();
        store.Append("a", new TimelineEntry(1, at, TimelineKinds.Scheduled, null, null, "start to end"));
        store.Append("b", new TimelineEntry(1, at, TimelineKinds.Scheduled));
        store.Append("a", new TimelineEntry(2, at.AddSeconds(1), TimelineKinds.Joined, "v1", "leg1", "visitor") { Transport = "webrtc", Codecs = ["VP8", "opus"] });
        store.Append("a", new TimelineEntry(3, at.AddSeconds(11), TimelineKinds.Quality, "v1", "leg1")
        {
            Quality = new TimelineQuality(1.5, 3.25, null, 812.4, 790),
        });
        store.Append("a", new TimelineEntry(4, at.AddSeconds(20), TimelineKinds.Reconnected, "v1", "leg2") { Cause = "consent-lost", Seconds = 8.4 });

        var entries = Open().Entries("a");

        Assert.Equal([1L, 2, 3, 4], entries.Select(e => e.Seq));
        Assert.Equal(at.AddSeconds(1), entries[1].At);
        Assert.Equal(("webrtc", "VP8,opus"), (entries[1].Transport, string.Join(',', entries[1].Codecs!)));
        Assert.Equal(new TimelineQuality(1.5, 3.25, null, 812.4, 790), entries[2].Quality);
        Assert.Equal(("consent-lost", 8.4, "leg2"), (entries[3].Cause, entries[3].Seconds, entries[3].Leg));
        Assert.Single(Open().Entries("b"));
        Assert.Empty(Open().Entries("c"));
    }

    [Fact]
    public void A_partys_media_seconds_are_one_row_saved_over()
    {
        var at = new DateTimeOffset(2026, 12, 6, 21, 0, 0, TimeSpan.Zero);
        var store = Open();
        store.SaveMedia("a", new PartyMediaSeconds("v1", 1, 2, 1, at));
        store.SaveMedia("a", new PartyMediaSeconds("v1", 10, 12, 9.5, at.AddSeconds(10)));
        store.SaveMedia("a", new PartyMediaSeconds("i1", 3, 3, 3, at));

        var rows = Open().Media("a");

        Assert.Equal([new PartyMediaSeconds("i1", 3, 3, 3, at), new PartyMediaSeconds("v1", 10, 12, 9.5, at.AddSeconds(10))], rows);
    }

    [Fact]
    public void An_entry_appended_twice_with_one_sequence_number_is_refused()
    {
        var store = Open();
        store.Append("a", new TimelineEntry(1, DateTimeOffset.UnixEpoch, TimelineKinds.Scheduled));
        Assert.Throws<SqliteException>(() => store.Append("a", new TimelineEntry(1, DateTimeOffset.UnixEpoch, TimelineKinds.Ended)));
    }
}
