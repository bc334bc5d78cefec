using System.Diagnostics;

namespace MediaServer.Routing;

/// <summary>
/// Video tracks' packet caches (768 KiB each, so large-object-heap arrays the GC frees only in full collections) taken from
/// and given back to a pool, so that visits coming and going reuse the same memory instead of growing the heap.
/// <para>
/// A cache given back is not handed out again at once: a receiver's resend or a last packet of the closing leg may still be
/// touching it, so it waits out a quarantine (<see cref="Quarantine"/>, far longer than any send) and is cleared when taken.
/// At most <see cref="MaxIdle"/> caches wait; a cache idle longer than <see cref="IdleLimit"/> is let go, so a quiet server
/// gives back what a busy hour needed. Cold path only: joins and leaves take the lock, never a packet.
/// </para>
/// </summary>
public sealed class PacketCachePool
{
    public static readonly TimeSpan Quarantine = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan IdleLimit = TimeSpan.FromMinutes(2);
    public const int MaxIdle = 32;

    private readonly Lock _lock = new();
    private readonly Queue<(PacketCache Cache, long ReturnedAt)> _waiting = new();
    private readonly Func<long> _now;
    private long _created;

    public PacketCachePool(Func<long>? timestamp = null) => _now = timestamp ?? Stopwatch.GetTimestamp;

    public static PacketCachePool Shared { get; } = new();

    /// <summary>Caches this pool has made (the rest of those handed out were reused).</summary>
    public long Created => Interlocked.Read(ref _created);

    /// <summary>Caches waiting to be reused.</summary>
    public int Idle
    {
        get
        {
            lock (_lock)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>A cleared cache: the oldest one whose quarantine is over, or a new one.</summary>
    public PacketCache Rent()
    {
        lock (_lock)
        {
            var now = _now();
            DropIdle(now);
            if (_waiting.TryPeek(out var oldest) && Elapsed(oldest.ReturnedAt, now) >= Quarantine)
            {
                _waiting.Dequeue();
                oldest.Cache.Clear();
                return oldest.Cache;
            }
        }
        Interlocked.Increment(ref _created);
        return new PacketCache();
    }

    /// <summary>Gives a cache back when its track is gone; it is reused after the quarantine, or dropped when the pool is full.</summary>
    public void Return(PacketCache cache)
    {
        if (cache.Capacity != PacketCache.DefaultCapacity)
        {
            return;
        }
        lock (_lock)
        {
            var now = _now();
            DropIdle(now);
            if (_waiting.Count < MaxIdle)
            {
                _waiting.Enqueue((cache, now));
            }
        }
    }

    private void DropIdle(long now)
    {
        while (_waiting.TryPeek(out var oldest) && Elapsed(oldest.ReturnedAt, now) > IdleLimit)
        {
            _waiting.Dequeue();
        }
    }

    private static TimeSpan Elapsed(long from, long to) => TimeSpan.FromSeconds((double)(to - from) / Stopwatch.Frequency);
}
