using System.Diagnostics;
using MediaServer.Metrics;
using MediaServer.Transport;

namespace MediaServer.Routing;

/// <summary>
/// One incoming stream of one party (its audio or its video) and the receiver slots it is forwarded to. The subscriber array is
/// replaced whole by the router (copy-on-write), so the packet path reads it once without a lock.
/// </summary>
public sealed class Track : IRtpSink
{
    private readonly MediaCodec[] _codecByPayloadType;
    private readonly PartyCounters _counters;
    private readonly RelayMetrics _metrics;
    private ReceiverSlot[] _subscribers = [];
    private Action? _onFirstPacket;

    /// <param name="codecByPayloadType">128 entries: what each payload type of the sender's offer carries.</param>
    public Track(string participantId, MediaKind kind, MediaCodec[] codecByPayloadType, PartyCounters counters, RelayMetrics metrics)
    {
        if (codecByPayloadType.Length != 128)
        {
            throw new ArgumentException("A payload type map has 128 entries.", nameof(codecByPayloadType));
        }
        ParticipantId = participantId;
        Kind = kind;
        _codecByPayloadType = codecByPayloadType;
        var codecs = new List<MediaCodec>();
        foreach (var codec in codecByPayloadType)
        {
            if (codec != MediaCodec.None && !codecs.Contains(codec))
            {
                codecs.Add(codec);
            }
        }
        Codecs = codecs;
        _counters = counters;
        _metrics = metrics;
    }

    public string ParticipantId { get; }

    public MediaKind Kind { get; }

    /// <summary>The codecs this sender may use (what its answer allowed).</summary>
    public IReadOnlyList<MediaCodec> Codecs { get; }

    public ReceptionStatistics Reception { get; } = new();

    public ReadOnlySpan<ReceiverSlot> Subscribers => Volatile.Read(ref _subscribers);

    /// <summary>Runs once, off the packet path, when the first valid packet arrives (the visit goes live then).</summary>
    public void OnFirstPacket(Action callback) => _onFirstPacket = callback;

    internal void SetSubscribers(ReceiverSlot[] subscribers) => Volatile.Write(ref _subscribers, subscribers);

    public void OnRtp(Span<byte> packet, in RtpHeaderInfo header)
    {
        _counters.CountIn(packet.Length);
        var codec = _codecByPayloadType[header.PayloadType & 0x7F];
        if (codec == MediaCodec.None)
        {
            // The sender used a payload type its own offer never named.
            _metrics.CountDrop(DropReason.CodecMismatch);
            return;
        }
        var now = Stopwatch.GetTimestamp();
        Reception.Update(header.SequenceNumber, header.Timestamp, header.Ssrc, MediaCodecs.ClockRate(codec), now);

        var first = _onFirstPacket;
        if (first is not null && Interlocked.CompareExchange(ref _onFirstPacket, null, first) == first)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static state => state(), first, preferLocal: false);
        }

        var subscribers = Volatile.Read(ref _subscribers);
        for (var i = 0; i < subscribers.Length; i++)
        {
            subscribers[i].Forward(packet, this, header, codec, now);
        }
    }
}
