using System.Diagnostics;
using MediaServer.Codecs.Rtcp;
using MediaServer.Media;
using MediaServer.Metrics;

namespace MediaServer.Routing;

/// <summary>
/// One incoming stream of one party (its audio or its video) and the receiver slots it is forwarded to. The subscriber array is
/// replaced whole by the router (copy-on-write), so the packet path reads it once without a lock.
/// </summary>
public sealed class Track : IRtpSink, IRtcpSink
{
    private readonly MediaCodec[] _codecByPayloadType;
    private readonly PartyCounters _counters;
    private readonly RelayMetrics _metrics;
    private ReceiverSlot[] _subscribers = [];
    private Action? _onFirstPacket;
    private readonly IKeyframeSource? _keyframeSource;
    private long _lastKeyframeRequest;
    private uint _lastSsrc;
    private bool _haveSsrc;

    /// <summary>Keyframe requests closer together than this are merged into one (receivers ask often when loss is bad).</summary>
    public static readonly TimeSpan DefaultKeyframeRequestInterval = TimeSpan.FromMilliseconds(250);

    private readonly TimeSpan _keyframeRequestInterval;

    /// <param name="codecByPayloadType">128 entries: what each payload type of the sender's offer carries.</param>
    public Track(string participantId, MediaKind kind, MediaCodec[] codecByPayloadType, PartyCounters counters, RelayMetrics metrics,
        TimeSpan? keyframeRequestInterval = null)
    {
        _keyframeRequestInterval = keyframeRequestInterval ?? DefaultKeyframeRequestInterval;
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
        Cache = kind == MediaKind.Video ? new PacketCache() : null;
    }

    public string ParticipantId { get; }

    public MediaKind Kind { get; }

    /// <summary>The codecs this sender may use (what its answer allowed).</summary>
    public IReadOnlyList<MediaCodec> Codecs { get; }

    public ReceptionStatistics Reception { get; } = new();

    /// <summary>Recent packets for answering NACKs; video only (audio is not retransmitted: late audio is useless).</summary>
    public PacketCache? Cache { get; }

    /// <summary>The SSRC the sender uses now (0 before its first packet).</summary>
    public uint LastSsrc => Volatile.Read(ref _lastSsrc);

    private long _keyframeRequests;

    /// <summary>Keyframe requests sent to the sender (after throttling).</summary>
    public long KeyframeRequests => Volatile.Read(ref _keyframeRequests);

    private ITrackRecorder? _journal;

    /// <summary>Where this track's packets are recorded (null: not recorded). Set once when the leg joins a recorded visit.</summary>
    public ITrackRecorder? Journal
    {
        get => Volatile.Read(ref _journal);
        set => Volatile.Write(ref _journal, value);
    }

    /// <summary>
    /// RTCP from this track's sender: its sender reports (RFC 3550 §6.4.1) go to the journal, which aligns audio and video
    /// with their NTP↔RTP mapping. Runs on the sender's RTCP receive loop; copies, never blocks.
    /// </summary>
    public void OnSenderRtcp(ReadOnlySpan<byte> compound)
    {
        var journal = Volatile.Read(ref _journal);
        if (journal is null || !Volatile.Read(ref _haveSsrc))
        {
            return;
        }
        var reader = new RtcpCompoundReader(compound);
        while (reader.MoveNext())
        {
            var packet = reader.Current;
            if (packet.PacketType == RtcpPacketType.SenderReport && packet.Span.Length >= 8
                && System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(packet.Span[4..]) == LastSsrc)
            {
                journal.OnSenderReport(packet.Span, Stopwatch.GetTimestamp());
            }
        }
    }

    /// <summary>The floors of the bandwidth estimates passed to this track's sender (MediaServer:Relay).</summary>
    public FeedbackPolicy Feedback { get; init; } = FeedbackPolicy.Default;

    /// <summary>Where receiver reports about this track go (the sender's transport); null where none are sent.</summary>
    public IRtcpChannel? Rtcp { get; init; }

    /// <summary>Where keyframe requests go: the sender's transport (null: nowhere, e.g. a mixer's own track).</summary>
    public IKeyframeSource? KeyframeSource
    {
        get => _keyframeSource;
        init => _keyframeSource = value;
    }

    void IRtcpSink.OnRtcp(ReadOnlySpan<byte> compound) => OnSenderRtcp(compound);

    /// <summary>Asks the sender for a keyframe, at most once per interval (250 ms by default). Safe from any thread.</summary>
    public void RequestKeyframe()
    {
        var source = _keyframeSource;
        if (source is null || Kind != MediaKind.Video || !Volatile.Read(ref _haveSsrc))
        {
            return;
        }
        var now = Stopwatch.GetTimestamp();
        var last = Volatile.Read(ref _lastKeyframeRequest);
        if (last != 0 && Stopwatch.GetElapsedTime(last, now) < _keyframeRequestInterval)
        {
            return;
        }
        if (Interlocked.CompareExchange(ref _lastKeyframeRequest, now, last) != last)
        {
            return; // Another thread asked at the same moment.
        }
        Interlocked.Increment(ref _keyframeRequests);
        source.RequestKeyframe(LastSsrc);
    }

    public ReadOnlySpan<ReceiverSlot> Subscribers => Volatile.Read(ref _subscribers);

    // Where the newest keyframe starts in the cache, packed so that one volatile read gives readers on other threads a
    // consistent answer: bits 0–15 its first packet's sequence number, bit 16 set once known, bits 32–63 the SSRC.
    private long _keyframeStart;
    private uint _keyframeTimestamp;

    /// <summary>Keyframes older than this many packets are not replayed to a new receiver (a keyframe request is cheaper).</summary>
    public const int MaxKeyframeReplay = 300;

    /// <summary>
    /// Remembers where the newest keyframe begins: its first packet (for H.264 the SPS before the IDR, which shares its
    /// timestamp). Packet path of the sender's receive loop only.
    /// </summary>
    private void NoteKeyframe(ReadOnlySpan<byte> packet, in RtpHeaderInfo header, MediaCodec codec)
    {
        var payload = packet[header.HeaderLength..];
        var keyframe = codec switch
        {
            MediaCodec.Vp8 => MediaServer.Codecs.Payload.Vp8Payload.IsKeyframe(payload),
            MediaCodec.H264 => MediaServer.Codecs.Payload.H264Payload.IsKeyframe(payload),
            _ => false,
        };
        if (!keyframe)
        {
            return;
        }
        var current = Volatile.Read(ref _keyframeStart);
        if ((current & 0x10000) != 0 && (uint)(current >> 32) == header.Ssrc && _keyframeTimestamp == header.Timestamp)
        {
            return; // A later packet of the same keyframe (the IDR after its SPS).
        }
        _keyframeTimestamp = header.Timestamp;
        Volatile.Write(ref _keyframeStart, ((long)header.Ssrc << 32) | 0x10000 | header.SequenceNumber);
    }

    /// <summary>
    /// Where a receiver that starts on this track at packet <paramref name="sequenceNumber"/> can begin decoding: the newest
    /// keyframe's first packet, if it is still cached, from the same SSRC and not too far back. False otherwise.
    /// </summary>
    public bool TryGetKeyframeStart(uint ssrc, ushort sequenceNumber, out ushort start)
    {
        var packed = Volatile.Read(ref _keyframeStart);
        start = (ushort)packed;
        if (Cache is null || (packed & 0x10000) == 0 || (uint)(packed >> 32) != ssrc)
        {
            return false;
        }
        var behind = (ushort)(sequenceNumber - start);
        return behind > 0 && behind <= Math.Min(MaxKeyframeReplay, Cache.Capacity - 1);
    }

    /// <summary>Runs once, off the packet path, when the first valid packet arrives (the visit goes live then).</summary>
    public void OnFirstPacket(Action callback) => _onFirstPacket = callback;

    /// <summary>What a payload type of this sender carries (<see cref="MediaCodec.None"/> if it never offered it).</summary>
    public MediaCodec CodecOf(byte payloadType) => _codecByPayloadType[payloadType & 0x7F];

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
        if (!_haveSsrc || header.Ssrc != _lastSsrc)
        {
            Volatile.Write(ref _lastSsrc, header.Ssrc);
            Volatile.Write(ref _haveSsrc, true);
        }
        // Recorded as it arrived, before the forwarding loop rewrites the packet in place for each receiver.
        Volatile.Read(ref _journal)?.OnRtp(packet, now);
        if (Cache is { } cache)
        {
            cache.Store(packet, header.SequenceNumber);
            NoteKeyframe(packet, header, codec);
        }
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
