namespace MediaServer.Recording.Review;

/// <summary>
/// Receives one track's RTP records in journal (arrival) order and hands them on in sequence order, segment by
/// segment: a small window of held packets undoes reordering in the network; a packet later than the window is
/// dropped by the consumer as late.
/// </summary>
internal abstract class TrackSink(TrackTimeline timeline) : IDisposable
{
    private const int ReorderWindow = 128;

    private readonly PriorityQueue<byte[], long> _held = new();
    private readonly Dictionary<long, PacketTiming> _timings = [];
    private int _nextRecord;
    private int _segment = -1;

    protected TrackTimeline Timeline { get; } = timeline;

    public void OnRtp(ReadOnlySpan<byte> datagram)
    {
        if (_nextRecord >= Timeline.Packets.Length)
        {
            return;
        }

        var timing = Timeline.Packets[_nextRecord++];
        if (timing.Segment < 0)
        {
            return;
        }

        if (timing.Segment != _segment)
        {
            Flush();
            _segment = timing.Segment;
            BeginSegment(timing.Segment);
        }

        if (!_timings.TryAdd(timing.ExtendedSequence, timing))
        {
            return; // a duplicate
        }

        _held.Enqueue(datagram.ToArray(), timing.ExtendedSequence);
        if (_held.Count > ReorderWindow)
        {
            ReleaseOne();
        }
    }

    public void Finish()
    {
        Flush();
        Complete();
    }

    private void Flush()
    {
        while (_held.Count > 0)
        {
            ReleaseOne();
        }

        _timings.Clear();
    }

    private void ReleaseOne()
    {
        _held.TryDequeue(out var datagram, out long sequence);
        _timings.Remove(sequence, out var timing);
        Release(datagram!, timing);
    }

    /// <summary>A new stream segment starts (a new SSRC or a restarted sender): decoder state goes.</summary>
    protected abstract void BeginSegment(int segment);

    /// <summary>The next packet of the segment in sequence order.</summary>
    protected abstract void Release(byte[] datagram, PacketTiming timing);

    protected abstract void Complete();

    public abstract void Dispose();
}
