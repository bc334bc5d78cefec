namespace MediaServer.Routing;

/// <summary>Per-party traffic, as the API reports it. Several receive loops add to one party, hence Interlocked.</summary>
public sealed class PartyCounters
{
    private long _packetsIn;
    private long _bytesIn;
    private long _packetsOut;
    private long _bytesOut;

    public PartyCounters(long createdTimestamp) => CreatedTimestamp = createdTimestamp;

    public long CreatedTimestamp { get; }
    public long PacketsIn => Volatile.Read(ref _packetsIn);
    public long BytesIn => Volatile.Read(ref _bytesIn);
    public long PacketsOut => Volatile.Read(ref _packetsOut);
    public long BytesOut => Volatile.Read(ref _bytesOut);

    public void CountIn(int bytes)
    {
        Interlocked.Increment(ref _packetsIn);
        Interlocked.Add(ref _bytesIn, bytes);
    }

    public void CountOut(int bytes)
    {
        Interlocked.Increment(ref _packetsOut);
        Interlocked.Add(ref _bytesOut, bytes);
    }
}
