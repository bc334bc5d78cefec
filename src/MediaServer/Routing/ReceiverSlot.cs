using MediaServer.Codecs.Rtp;
using MediaServer.Media;
using MediaServer.Metrics;

namespace MediaServer.Routing;

/// <summary>
/// One m-line of a receiving party: where one other party's audio or video goes, through a sender bound to the receiver.
/// The slot forwards its source's packets with the receiver's own numbering (<see cref="RtpRewriter"/>), starts a new source
/// from its cached keyframe, and hands the receiver's RTCP to <see cref="ReceiverFeedback"/>, which resends through
/// <see cref="Resender"/>.
/// </summary>
public sealed class ReceiverSlot : IOutgoingStream
{
    private readonly byte[] _payloadTypeByCodec;
    private readonly IRtpSender _sender;
    private readonly PartyCounters _counters;
    private readonly RelayMetrics _metrics;
    private readonly RtpRewriter _rewriter;
    private readonly Resender _resender;
    private readonly ReceiverFeedback _feedback;
    private Track? _source;
    private long _packetsSent;
    private long _octetsSent;
    private long _keyframeReplays;

    /// <param name="payloadTypeByCodec">Indexed by <see cref="MediaCodec"/>: the receiver's payload type, or
    /// <see cref="MediaCodecs.NoPayloadType"/> where it did not offer that codec.</param>
    /// <param name="sender">The way to this receiver (bound to it: the slot never names a destination).</param>
    public ReceiverSlot(string ownerParticipantId, MediaKind kind, int index, byte[] payloadTypeByCodec, uint ssrc,
        IRtpSender sender, PartyCounters counters, RelayMetrics metrics)
    {
        if (payloadTypeByCodec.Length != MediaCodecs.Count)
        {
            throw new ArgumentException("One entry per codec.", nameof(payloadTypeByCodec));
        }
        OwnerParticipantId = ownerParticipantId;
        Kind = kind;
        Index = index;
        _payloadTypeByCodec = payloadTypeByCodec;
        _sender = sender;
        _counters = counters;
        _metrics = metrics;
        _rewriter = new RtpRewriter(ssrc);
        _resender = new Resender(this, _rewriter, sender, counters, metrics);
        _feedback = new ReceiverFeedback(this, _resender, metrics);
    }

    public string OwnerParticipantId { get; }
    public MediaKind Kind { get; }

    /// <summary>Position among the owner's slots of this kind (0 = the sendrecv slot).</summary>
    public int Index { get; }

    /// <summary>The SSRC this receiver sees on this slot, whoever the source is.</summary>
    public uint Ssrc => _rewriter.Ssrc;

    /// <summary>Which party the router gave this slot (kept while that party is away, so a re-join lands here again).</summary>
    public string? AssignedParticipantId { get; internal set; }

    public Track? Source => Volatile.Read(ref _source);

    public bool Accepts(MediaCodec codec) => _payloadTypeByCodec[(int)codec] != MediaCodecs.NoPayloadType;

    /// <summary>The receiver's payload type for <paramref name="codec"/>, or <see cref="MediaCodecs.NoPayloadType"/>.</summary>
    public byte PayloadTypeOf(MediaCodec codec) => _payloadTypeByCodec[(int)codec];

    /// <summary>
    /// A tap's slot: its receiver's bandwidth estimates (REMB) are not passed on to senders, so a monitoring leg never changes
    /// what the participants are told. Its keyframe requests still reach the sender, throttled by the track.
    /// </summary>
    public bool Hidden { get; init; }

    /// <summary>Where this slot's sender reports go (the receiver's transport); null where none are sent.</summary>
    public IRtcpChannel? Rtcp { get; init; }

    /// <summary>
    /// Whether this receiver's NACKs are answered: only when its leg negotiated generic NACK (<c>a=rtcp-fb:&lt;pt&gt; nack</c> or
    /// <c>a=rtcp-fb:* nack</c>, RFC 4585 §4.2), and for WebRTC legs only while MediaServer:WebRtc:Nack is on. Off by default.
    /// </summary>
    public bool AnswersNacks { get; init; }

    /// <summary>The bounds its feedback is answered within (MediaServer:Relay).</summary>
    public FeedbackPolicy Feedback { get; init; } = FeedbackPolicy.Default;

    public long PacketsSent => Volatile.Read(ref _packetsSent);

    /// <summary>Payload octets sent (RFC 3550 §6.4.1 sender's octet count).</summary>
    public long OctetsSent => Volatile.Read(ref _octetsSent);

    /// <summary>The RTP timestamp this slot's stream would carry now (for sender reports, RFC 3550 §6.4.1).</summary>
    public uint CurrentTimestamp(long nowTicks) => _rewriter.CurrentTimestamp(nowTicks, Kind == MediaKind.Video ? 90000 : 48000);

    /// <summary>Packets resent from the cache in answer to this receiver's NACKs (and keyframes resent after its PLI/FIR).</summary>
    public long Retransmitted => _resender.Retransmitted;

    /// <summary>Bytes of those retransmissions.</summary>
    public long RetransmittedBytes => _resender.RetransmittedBytes;

    /// <summary>NACKed packets no longer (or never) in the cache.</summary>
    public long NacksUnanswered => _resender.NacksUnanswered;

    /// <summary>NACKed packets not resent because they were resent to this receiver less than a round trip ago.</summary>
    public long NackRepeats => _resender.NackRepeats;

    /// <summary>Packets its NACKs named beyond <see cref="FeedbackPolicy.MaxNackPackets"/> per message.</summary>
    public long NackOverLimit => _resender.NackOverLimit;

    /// <summary>Retransmissions refused because its retransmission byte budget was spent.</summary>
    public long RetransmitBudgetRefused => _resender.BudgetRefused;

    /// <summary>The round trip to this receiver from its last receiver report about this slot (RFC 3550 §6.4.1); null until one.</summary>
    public TimeSpan? RoundTrip => _feedback.RoundTrip;

    /// <summary>The bitrate this receiver last said it can take (REMB), if it said so in the last five seconds.</summary>
    public long? EstimatedBitrate(long nowTicks) => _feedback.EstimatedBitrate(nowTicks);

    /// <summary>Times this slot started a source from its cached keyframe rather than waiting for the next one.</summary>
    public long KeyframeReplays => Volatile.Read(ref _keyframeReplays);

    /// <summary>Remembers a sender report sent on this slot (its 64-bit NTP time), for the round trip its answer gives.</summary>
    internal void NoteSenderReport(ulong ntpTimestamp) => _feedback.NoteSenderReport(ntpTimestamp);

    internal void SetSource(Track? track)
    {
        var previous = Volatile.Read(ref _source);
        Volatile.Write(ref _source, track);
        // Not before the way to the receiver is up (a WebRTC leg in ICE/DTLS): that keyframe would be lost, and the throttle
        // would hold back the request the leg makes once it is secure.
        if (track is not null && !ReferenceEquals(previous, track) && _sender.IsReady)
        {
            // A receiver that starts (or restarts) with this source needs a keyframe to decode anything (RFC 4585 §6.3.1).
            // Queued: the router calls this under its lock, and a request is a send.
            ThreadPool.UnsafeQueueUserWorkItem(static t => t.RequestKeyframe(), track, preferLocal: false);
        }
    }

    /// <summary>The receiver's transport has just come up: it needs a keyframe of whatever this slot carries.</summary>
    public void OnTransportReady() => Source?.RequestKeyframe();

    /// <summary>Feedback from this slot's receiver (see <see cref="ReceiverFeedback"/>). Runs on the receiver's RTCP loop.</summary>
    public void OnRtcp(ReadOnlySpan<byte> compound)
    {
        var source = Volatile.Read(ref _source);
        if (source is not null)
        {
            _feedback.OnRtcp(compound, source);
        }
    }

    internal void Forward(Span<byte> packet, Track from, in RtpHeaderInfo header, MediaCodec codec, long nowTicks)
    {
        if (!ReferenceEquals(Volatile.Read(ref _source), from))
        {
            return; // The router moved this slot to another source; the old subscriber array is still being read.
        }
        var payloadType = _payloadTypeByCodec[(int)codec];
        if (payloadType == MediaCodecs.NoPayloadType)
        {
            _metrics.CountDrop(DropReason.CodecMismatch);
            return;
        }
        if (!_sender.IsReady)
        {
            _metrics.CountDrop(DropReason.NotConnected);
            return;
        }
        if (_rewriter.NeedsRebase(from, header.Ssrc))
        {
            if (from.TryGetKeyframeStart(header.Ssrc, header.SequenceNumber, out var keyframe))
            {
                // A receiver starting on this source mid-stream cannot decode until a keyframe; senders that ignore PLI
                // (FFmpeg) send the next one only at their GOP. Send it the cached packets from the newest keyframe up to this
                // one first, so it decodes at once (first frames of a tap or a late join).
                ReplayFromKeyframe(from, keyframe, header, codec, nowTicks);
            }
            else
            {
                _rewriter.Rebase(from, header.SequenceNumber, header.Timestamp, header.Ssrc, MediaCodecs.ClockRate(codec), nowTicks);
            }
        }
        Send(packet, header.SequenceNumber, header.Timestamp, header.HeaderLength, payloadType, nowTicks);
    }

    private void ReplayFromKeyframe(Track from, ushort start, in RtpHeaderInfo current, MediaCodec codec, long nowTicks)
    {
        Span<byte> scratch = stackalloc byte[PacketCache.SlotSize];
        var clockRate = MediaCodecs.ClockRate(codec);
        var rebased = false;
        for (var sequence = start; sequence != current.SequenceNumber; sequence++)
        {
            var length = from.Cache!.TryCopy(sequence, current.Ssrc, scratch);
            if (length == 0 || !RtpPacket.TryParse(scratch[..length], out var cached))
            {
                if (!rebased)
                {
                    break; // The keyframe itself is gone: nothing to gain.
                }
                continue; // A hole the sender's loss left: the receiver's NACK for it finds the cache as for any loss.
            }
            var payloadType = _payloadTypeByCodec[(int)from.CodecOf(cached.PayloadType)];
            if (payloadType == MediaCodecs.NoPayloadType)
            {
                continue;
            }
            if (!rebased)
            {
                _rewriter.Rebase(from, cached.SequenceNumber, cached.Timestamp, cached.Ssrc, clockRate, nowTicks);
                rebased = true;
            }
            Send(scratch[..length], cached.SequenceNumber, cached.Timestamp, cached.HeaderLength, payloadType, nowTicks);
        }
        if (rebased)
        {
            Interlocked.Increment(ref _keyframeReplays);
        }
        else
        {
            _rewriter.Rebase(from, current.SequenceNumber, current.Timestamp, current.Ssrc, clockRate, nowTicks);
        }
    }

    private void Send(Span<byte> packet, ushort sourceSequence, uint sourceTimestamp, int headerLength, byte payloadType, long nowTicks)
    {
        _rewriter.Rewrite(packet, sourceSequence, sourceTimestamp, payloadType, nowTicks);
        if (_sender.TrySend(packet))
        {
            _counters.CountOut(packet.Length);
            _metrics.CountOut(packet.Length);
            Interlocked.Increment(ref _packetsSent);
            Interlocked.Add(ref _octetsSent, packet.Length - headerLength);
        }
        else
        {
            _metrics.CountDrop(DropReason.SendError);
        }
    }
}
