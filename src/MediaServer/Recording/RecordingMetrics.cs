namespace MediaServer.Recording;

/// <summary>Recording counters for /metrics; updated off the packet path (writer thread, render worker).</summary>
public sealed class RecordingMetrics
{
    private long _bytesWritten;
    private long _failures;
    private long _droppedPackets;
    private long _rendered;
    private long _renderFailures;
    private long _purged;
    private long _joinsRefused;
    private int _unrecorded;

    public long BytesWritten => Volatile.Read(ref _bytesWritten);
    public long Failures => Volatile.Read(ref _failures);
    public long DroppedPackets => Volatile.Read(ref _droppedPackets);
    public long Rendered => Volatile.Read(ref _rendered);
    public long RenderFailures => Volatile.Read(ref _renderFailures);
    public long Purged => Volatile.Read(ref _purged);

    public long JoinsRefused => Volatile.Read(ref _joinsRefused);

    public int Active { get; internal set; }

    /// <summary>Visits that cannot be recorded now (their journal could not be created, or failed mid-visit).</summary>
    public int Unrecorded
    {
        get => Volatile.Read(ref _unrecorded);
        internal set => Volatile.Write(ref _unrecorded, value);
    }

    internal void AddBytes(long bytes) => Interlocked.Add(ref _bytesWritten, bytes);
    internal void Failure() => Interlocked.Increment(ref _failures);
    internal void Dropped(long count) => Interlocked.Add(ref _droppedPackets, count);
    internal void RenderSucceeded() => Interlocked.Increment(ref _rendered);
    internal void RenderFailed() => Interlocked.Increment(ref _renderFailures);
    internal void JoinRefused() => Interlocked.Increment(ref _joinsRefused);
    internal void PurgedOne() => Interlocked.Increment(ref _purged);
}
