using MediaServer.Storage;
using MediaServer.Visits;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace MediaServer.Tests.Visits;

public sealed class VisitFlagsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("flags-test-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private sealed class RecordingSink : IVisitFlagSink
    {
        public List<(string VisitId, VisitFlag Flag)> Flags { get; } = [];

        public void OnFlag(Visit visit, VisitFlag flag) => Flags.Add((visit.Id, flag));
    }

    private sealed class ThrowingSink : IVisitFlagSink
    {
        public void OnFlag(Visit visit, VisitFlag flag) => throw new InvalidOperationException("recorder is down");
    }

    private static Visit NewVisit(string id) => new(id, new Person("i1", "A"), [new Person("v1", "B")],
        DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(30), privileged: false, flagged: false, DateTimeOffset.UtcNow);

    private FlagStore Store() => new(new Database(Path.Combine(_directory, "test.db")));

    [Fact]
    public void A_flag_is_stored_and_every_sink_gets_it_even_when_one_fails()
    {
        var first = new RecordingSink();
        var last = new RecordingSink();
        var flags = new VisitFlags(Store(), [first, new ThrowingSink(), last], TimeProvider.System, NullLogger<VisitFlags>.Instance);
        var visit = NewVisit("v-1");

        var flag = flags.Create(visit, "officer-17", "raised voices at 18:04");

        Assert.Equal("officer-17", flag.By);
        Assert.Equal("raised voices at 18:04", flag.Note);
        Assert.Equal(("v-1", flag), Assert.Single(first.Flags));
        Assert.Equal(("v-1", flag), Assert.Single(last.Flags));
        Assert.Equal(flag, Assert.Single(flags.For(visit)));
    }

    [Fact]
    public void Flags_are_listed_per_visit_in_the_order_made_and_survive_a_reopen()
    {
        var flags = new VisitFlags(Store(), [], TimeProvider.System, NullLogger<VisitFlags>.Instance);
        var one = NewVisit("v-1");
        var two = NewVisit("v-2");
        var a = flags.Create(one, "o1", "first");
        flags.Create(two, "o2", "other visit");
        var b = flags.Create(one, "o1", "second");

        var reopened = new VisitFlags(Store(), [], TimeProvider.System, NullLogger<VisitFlags>.Instance);
        Assert.Equal([a, b], reopened.For(one));
        var both = reopened.For(["v-1", "v-2", "v-none"]);
        Assert.Equal(2, both.Count);
        Assert.Equal("other visit", Assert.Single(both["v-2"]).Note);
    }
}
