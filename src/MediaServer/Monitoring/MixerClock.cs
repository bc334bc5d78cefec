using System.Diagnostics;

namespace MediaServer.Monitoring;

/// <summary>
/// The one thread that runs every mixed-audio tap's 20 ms frame, however many taps are open (a thread per tap let one
/// officer start sixty). Adding and removing a mix swap an array under a lock; the tick reads the array without one and
/// holds no lock while mixes send. A removed mix is freed by this thread after the tick that last saw it, so its codec
/// state is never disposed under a running frame.
/// </summary>
public sealed class MixerClock
{
    private static readonly TimeSpan Frame = TimeSpan.FromMilliseconds(20);

    /// <summary>Late by more than this (a starved, loaded machine), the schedule starts afresh rather than burst.</summary>
    private static readonly TimeSpan MaxLag = TimeSpan.FromMilliseconds(200);

    public static MixerClock Shared { get; } = new();

    private readonly Lock _lock = new();
    private readonly object _signal = new();
    private bool _woken;
    private MixedAudioTap[] _mixes = [];
    private List<MixedAudioTap> _retired = [];
    private Thread? _thread;
    private long _ticks;
    private long _failed;

    /// <summary>Mixes dropped because their frame threw.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Mixes being run (for tests and metrics).</summary>
    public int Count => Volatile.Read(ref _mixes).Length;

    /// <summary>Whether the clock's thread has been started (it is started by the first mix, once, and never more than one).</summary>
    public bool IsRunning => _thread is not null;

    /// <summary>Frames run since the process started, over every mix.</summary>
    public long Ticks => Interlocked.Read(ref _ticks);

    public void Add(MixedAudioTap mix)
    {
        lock (_lock)
        {
            var next = new MixedAudioTap[_mixes.Length + 1];
            _mixes.CopyTo(next, 0);
            next[^1] = mix;
            Volatile.Write(ref _mixes, next);
            if (_thread is null)
            {
                _thread = new Thread(Run) { IsBackground = true, Name = "tap-mixer" };
                _thread.Start();
            }
        }
        Wake();
    }

    public void Remove(MixedAudioTap mix)
    {
        lock (_lock)
        {
            var index = Array.IndexOf(_mixes, mix);
            if (index < 0)
            {
                return;
            }
            var next = new MixedAudioTap[_mixes.Length - 1];
            Array.Copy(_mixes, 0, next, 0, index);
            Array.Copy(_mixes, index + 1, next, index, _mixes.Length - index - 1);
            Volatile.Write(ref _mixes, next);
            _retired.Add(mix);
        }
        Wake();
    }

    private void Run()
    {
        var clock = Stopwatch.StartNew();
        var due = Frame;
        while (true)
        {
            RetireRemoved();
            var mixes = Volatile.Read(ref _mixes);
            if (mixes.Length == 0)
            {
                // Idle: sleep until a mix is added, then start a fresh schedule.
                WaitForWake(Timeout.InfiniteTimeSpan);
                due = clock.Elapsed + Frame;
                continue;
            }
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                // A removal wakes the wait early only to free the mix sooner; the schedule stays.
                WaitForWake(wait);
                if (clock.Elapsed < due)
                {
                    continue;
                }
            }
            if (clock.Elapsed - due > MaxLag)
            {
                due = clock.Elapsed;
            }
            due += Frame;
            foreach (var mix in mixes)
            {
                try
                {
                    mix.Tick();
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // One broken mix must not silence every other tap: it is dropped (its tap keeps its video) and counted.
                    Interlocked.Increment(ref _failed);
                    Remove(mix);
                }
            }
            Interlocked.Add(ref _ticks, mixes.Length);
        }
    }

    private void Wake()
    {
        lock (_signal)
        {
            _woken = true;
            Monitor.Pulse(_signal);
        }
    }

    private void WaitForWake(TimeSpan timeout)
    {
        lock (_signal)
        {
            if (!_woken)
            {
                Monitor.Wait(_signal, timeout);
            }
            _woken = false;
        }
    }

    private void RetireRemoved()
    {
        List<MixedAudioTap> retired;
        lock (_lock)
        {
            if (_retired.Count == 0)
            {
                return;
            }
            retired = _retired;
            _retired = [];
        }
        // Not in the array any more, and the tick that may have held them is over.
        foreach (var mix in retired)
        {
            mix.Retire();
        }
    }
}
