using MediaServer.Storage;
using MediaServer.Visits;
using Microsoft.Data.Sqlite;

namespace MediaServer.Tests.Visits;

public sealed class VisitRegistryTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("registry-test-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private VisitStore Store() => new(new Database(Path.Combine(_directory, "test.db")));

    private static readonly DateTimeOffset Now = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Every_scheduled_and_live_visit_is_loaded_at_start_however_many_there_are()
    {
        var store = Store();
        var first = new VisitRegistry(store);
        var today = first.Create(new Person("i0", "Today"), [new Person("v1", "V")], Now, Now.AddMinutes(30), false, false, Now);
        for (var n = 0; n < 1000; n++)
        {
            // Every one of them starts later than today's: a loader that keeps the latest 1,000 starts would lose today's.
            var start = Now.AddDays(1).AddMinutes(n);
            first.Create(new Person("i" + n, "Later"), [new Person("v1", "V")], start, start.AddMinutes(30), false, false, Now);
        }
        var live = first.Create(new Person("iL", "Live"), [new Person("v1", "V")], Now, Now.AddMinutes(30), false, false, Now);
        Assert.True(live.TryTransition(VisitState.Live, Now));
        first.SaveState(live);

        var restarted = new VisitRegistry(store);

        Assert.Equal(1002, restarted.Count);
        Assert.Equal(1001, restarted.List(VisitState.Scheduled).Count);
        Assert.Single(restarted.List(VisitState.Live));
        Assert.Contains(restarted.InMemory, v => v.Id == today.Id);
    }

    [Fact]
    public void An_open_visit_is_one_object_for_every_caller()
    {
        var registry = new VisitRegistry(Store());
        var visit = registry.Create(new Person("i1", "I"), [new Person("v1", "V")], Now, Now.AddMinutes(30), false, false, Now);

        Assert.Same(visit, registry.Get(visit.Id));
        Assert.Same(visit, registry.Get(visit.Id));
        Assert.Same(visit, Assert.Single(registry.List(VisitState.Scheduled)));
    }

    [Fact]
    public void A_finished_visit_leaves_memory_and_is_read_back_with_its_final_figures()
    {
        var registry = new VisitRegistry(Store());
        var visit = registry.Create(new Person("i1", "I"), [new Person("v1", "V")], Now, Now.AddMinutes(30), false, false, Now);
        Assert.True(visit.TryTransition(VisitState.Terminated, Now.AddMinutes(5), "test"));

        registry.SaveState(visit);

        Assert.Equal(0, registry.Count);
        Assert.DoesNotContain(registry.InMemory, v => v.Id == visit.Id);
        var stored = registry.Get(visit.Id);
        Assert.NotNull(stored);
        Assert.NotSame(visit, stored);
        Assert.Equal(VisitState.Terminated, stored.State);
        Assert.Equal("test", stored.EndReason);
        Assert.NotNull(stored.FinalConnections);
        Assert.Contains(registry.List(VisitState.Terminated), v => v.Id == visit.Id);
        Assert.Contains(registry.List(null), v => v.Id == visit.Id);
        Assert.Empty(registry.List(VisitState.Scheduled));
    }
}
