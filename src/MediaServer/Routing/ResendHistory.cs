namespace MediaServer.Routing;

/// <summary>
/// When each receiver sequence number was last resent (ticks; by sequence modulo the cache size), so that a packet goes to a
/// receiver at most once per round trip however often, or in however many NACK entries, it is asked for. Receiver's RTCP loop only.
/// </summary>
public sealed class ResendHistory
{
    private readonly long[] _resentAt;
    private readonly int[] _resentSequence;

    public ResendHistory(int capacity = PacketCache.DefaultCapacity)
    {
        if (capacity <= 0 || (capacity & (capacity - 1)) != 0)
        {
            throw new ArgumentException("The capacity is a power of two.", nameof(capacity));
        }
        _resentAt = new long[capacity];
        _resentSequence = new int[capacity];
        Array.Fill(_resentSequence, -1);
    }

    public bool ResentWithin(ushort receiverSequence, long nowTicks, long intervalTicks)
    {
        var index = receiverSequence & (_resentAt.Length - 1);
        return _resentSequence[index] == receiverSequence && nowTicks - _resentAt[index] < intervalTicks;
    }

    public void Note(ushort receiverSequence, long nowTicks)
    {
        var index = receiverSequence & (_resentAt.Length - 1);
        _resentAt[index] = nowTicks;
        _resentSequence[index] = receiverSequence;
    }
}
