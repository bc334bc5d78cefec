using System.Diagnostics;
using MediaServer.Routing;

namespace MediaServer.Tests.Routing;

public sealed class PacketCachePoolTests
{
    private long _now = 1;

    private PacketCachePool NewPool() => new(() => _now);

    private void Advance(TimeSpan by) => _now += (long)(by.TotalSeconds * Stopwatch.Frequency);

    private static byte[] Packet(ushort sequence, uint ssrc)
    {
        var packet = new byte[100];
        packet[0] = 0x80;
        packet[1] = 96;
        packet[2] = (byte)(sequence >> 8);
        packet[3] = (byte)sequence;
        packet[8] = (byte)(ssrc >> 24);
        packet[9] = (byte)(ssrc >> 16);
        packet[10] = (byte)(ssrc >> 8);
        packet[11] = (byte)ssrc;
        return packet;
    }

    [Fact]
    public void A_returned_cache_is_reused_only_after_the_quarantine_and_then_holds_nothing_of_its_last_track()
    {
        var pool = NewPool();
        var first = pool.Rent();
        first.Store(Packet(7, 0xAAAA), 7);
        pool.Return(first);

        Advance(PacketCachePool.Quarantine - TimeSpan.FromMilliseconds(1));
        var during = pool.Rent();
        Advance(TimeSpan.FromMilliseconds(1));
        var after = pool.Rent();

        Assert.NotSame(first, during);
        Assert.Same(first, after);
        Assert.Equal(2, pool.Created);
        // Cleared: the old track's packet is gone even for a reader asking with its sequence number and SSRC.
        Assert.Equal(0, after.TryCopy(7, 0xAAAA, new byte[1500]));
        after.Store(Packet(7, 0xBBBB), 7);
        Assert.Equal(100, after.TryCopy(7, 0xBBBB, new byte[1500]));
        Assert.Equal(0, after.TryCopy(7, 0xAAAA, new byte[1500]));
    }

    [Fact]
    public void The_pool_keeps_at_most_its_limit_and_lets_go_of_caches_idle_too_long()
    {
        var pool = NewPool();
        for (var i = 0; i < PacketCachePool.MaxIdle + 5; i++)
        {
            pool.Return(new PacketCache());
        }
        Assert.Equal(PacketCachePool.MaxIdle, pool.Idle);

        Advance(PacketCachePool.IdleLimit + TimeSpan.FromSeconds(1));
        var fresh = pool.Rent();

        Assert.Equal(0, pool.Idle);
        Assert.Equal(1, pool.Created);
        Assert.Equal(PacketCache.DefaultCapacity, fresh.Capacity);
        // A cache of another size is never pooled (it would be handed to a track expecting the default).
        pool.Return(new PacketCache(64));
        Assert.Equal(0, pool.Idle);
    }

    [Fact]
    public void A_clear_during_a_copy_is_seen_by_the_reader()
    {
        var cache = new PacketCache(4);
        cache.Store(Packet(1, 5), 1);
        cache.Clear();
        cache.Store(Packet(2, 5), 2);
        Assert.Equal(0, cache.TryCopy(1, 5, new byte[1500]));
        Assert.Equal(100, cache.TryCopy(2, 5, new byte[1500]));
    }
}
