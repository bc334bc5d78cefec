using System.Diagnostics;
using System.Net;
using MediaServer.Codecs.Rtcp;
using MediaServer.Codecs.Rtp;
using MediaServer.Metrics;
using MediaServer.Transport;

namespace MediaServer.Routing;

/// <summary>
/// One m-line of a receiving party: where one other party's audio or video goes. The slot owns the receiver's view of the
/// stream: a fixed SSRC, and sequence numbers and timestamps that continue monotonically when the source changes (a sender
/// restarting with a new SSRC, or a party re-joining on a new leg), so a receiver's jitter buffer never sees a jump backwards.
/// </summary>
public sealed class ReceiverSlot : IRtcpSink
{
    private readonly byte[] _payloadTypeByCodec;
    private readonly IDatagramSender _sender;
    private readonly SocketAddress _destination;
    private readonly PartyCounters _counters;
    private readonly RelayMetrics _metrics;

    private Track? _source;

    // Rewrite state, touched only by the current source's receive loop.
    private Track? _lastSource;
    private uint _lastSourceSsrc;
    private bool _started;
    private ushort _sequenceOffset;
    private uint _timestampOffset;
    private ushort _highestSequence;
    private uint _highestTimestamp;
    private long _lastSentTicks;
    private readonly ushort _initialSequence;
    private readonly uint _initialTimestamp;

    /// <param name="payloadTypeByCodec">Indexed by <see cref="MediaCodec"/>: the receiver's payload type, or
    /// <see cref="MediaCodecs.NoPayloadType"/> where it did not offer that codec.</param>
    public ReceiverSlot(string ownerParticipantId, MediaKind kind, int index, byte[] payloadTypeByCodec, uint ssrc,
        IDatagramSender sender, SocketAddress destination, PartyCounters counters, RelayMetrics metrics)
    {
        if (payloadTypeByCodec.Length != MediaCodecs.Count)
        {
            throw new ArgumentException("One entry per codec.", nameof(payloadTypeByCodec));
        }
        OwnerParticipantId = ownerParticipantId;
        Kind = kind;
        Index = index;
        _payloadTypeByCodec = payloadTypeByCodec;
        Ssrc = ssrc;
        _sender = sender;
        _destination = destination;
        _counters = counters;
        _metrics = metrics;
        // RFC 3550 §5.1: initial sequence number and timestamp are random.
        _initialSequence = (ushort)Random.Shared.Next(0, 1 << 16);
        _initialTimestamp = (uint)Random.Shared.NextInt64(0, 1L << 32);
    }

    public string OwnerParticipantId { get; }
    public MediaKind Kind { get; }

    /// <summary>Position among the owner's slots of this kind (0 = the sendrecv slot).</summary>
    public int Index { get; }

    /// <summary>The SSRC this receiver sees on this slot, whoever the source is.</summary>
    public uint Ssrc { get; }

    /// <summary>Which party the router gave this slot (kept while that party is away, so a re-join lands here again).</summary>
    public string? AssignedParticipantId { get; internal set; }

    public Track? Source => Volatile.Read(ref _source);

    public bool Accepts(MediaCodec codec) => _payloadTypeByCodec[(int)codec] != MediaCodecs.NoPayloadType;

    private long _packetsSent;
    private long _octetsSent;

    /// <summary>
    /// A tap's slot: its receiver's bandwidth estimates (REMB) are not passed on to senders, so a monitoring leg never changes
    /// what the participants are told. Its keyframe requests still reach the sender, throttled by the track.
    /// </summary>
    public bool Hidden { get; init; }

    /// <summary>Where this slot's sender reports go (the receiver's transport); null where none are sent.</summary>
    public IRtcpChannel? Rtcp { get; set; }

    public long PacketsSent => Volatile.Read(ref _packetsSent);

    /// <summary>Payload octets sent (RFC 3550 §6.4.1 sender's octet count).</summary>
    public long OctetsSent => Volatile.Read(ref _octetsSent);

    /// <summary>The RTP timestamp this slot's stream would carry now (for sender reports, RFC 3550 §6.4.1).</summary>
    public uint CurrentTimestamp(long nowTicks)
    {
        var clock = Kind == MediaKind.Video ? 90000 : 48000;
        var elapsed = Math.Max(0, nowTicks - Volatile.Read(ref _lastSentTicks));
        return _highestTimestamp + (uint)(elapsed * (double)clock / Stopwatch.Frequency);
    }

    private long _retransmitted;
    private long _nacksUnanswered;

    /// <summary>Packets resent from the cache in answer to this receiver's NACKs.</summary>
    public long Retransmitted => Volatile.Read(ref _retransmitted);

    /// <summary>Whether this receiver's NACKs are answered (MediaServer:WebRtc:Nack; off only to measure loss without them).</summary>
    public bool AnswersNacks { get; init; } = true;

    /// <summary>NACKed packets no longer (or never) in the cache.</summary>
    public long NacksUnanswered => Volatile.Read(ref _nacksUnanswered);

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

    /// <summary>
    /// Feedback from this slot's receiver: NACKs are answered from the source's cache (RFC 4585 §6.2.1); PLI and FIR
    /// (RFC 5104 §4.3.1) become a keyframe request to the sender, throttled there. Runs on the receiver's RTCP loop.
    /// </summary>
    public void OnRtcp(ReadOnlySpan<byte> compound)
    {
        var source = Volatile.Read(ref _source);
        if (source is null)
        {
            return;
        }
        var reader = new RtcpCompoundReader(compound);
        while (reader.MoveNext())
        {
            var packet = reader.Current;
            if (packet.PacketType == RtcpPacketType.TransportFeedback && packet.Format == RtcpFeedbackFormat.GenericNack
                && RtcpGenericNack.TryParse(packet.Span, out var nack) && nack.MediaSsrc == Ssrc)
            {
                if (!AnswersNacks)
                {
                    continue;
                }
                foreach (var lost in nack.GetLostSequenceNumbers())
                {
                    Retransmit(source, lost);
                }
            }
            else if (packet.PacketType == RtcpPacketType.PayloadFeedback && packet.Format == RtcpFeedbackFormat.PictureLossIndication
                && RtcpPli.TryParse(packet.Span, out var pli) && pli.MediaSsrc == Ssrc)
            {
                source.RequestKeyframe();
                ResendCachedKeyframe(source);
            }
            else if (packet.PacketType == RtcpPacketType.PayloadFeedback && packet.Format == RtcpFeedbackFormat.ApplicationLayer
                && !Hidden && RtcpRemb.TryParse(packet.Span, out var remb) && RembNames(remb, Ssrc))
            {
                Volatile.Write(ref _rembBitrate, (long)Math.Min(remb.Bitrate, long.MaxValue));
                Volatile.Write(ref _rembTicks, Stopwatch.GetTimestamp());
            }
            else if (packet.PacketType == RtcpPacketType.PayloadFeedback && packet.Format == RtcpFeedbackFormat.FullIntraRequest
                && RtcpFir.TryParse(packet.Span, out var fir) && FirNames(fir, Ssrc))
            {
                source.RequestKeyframe();
                ResendCachedKeyframe(source);
            }
        }
    }

    private long _rembBitrate;
    private long _rembTicks;

    /// <summary>The bitrate this receiver last said it can take (REMB), if it said so in the last five seconds.</summary>
    public long? EstimatedBitrate(long nowTicks)
    {
        var at = Volatile.Read(ref _rembTicks);
        return at != 0 && Stopwatch.GetElapsedTime(at, nowTicks) < TimeSpan.FromSeconds(5) ? Volatile.Read(ref _rembBitrate) : null;
    }

    private static bool RembNames(in RtcpRemb remb, uint ssrc)
    {
        for (var i = 0; i < remb.SsrcCount; i++)
        {
            if (remb.GetSsrc(i) == ssrc)
            {
                return true;
            }
        }
        return false;
    }

    private static bool FirNames(in RtcpFir fir, uint ssrc)
    {
        for (var i = 0; i < fir.EntryCount; i++)
        {
            if (fir.GetEntry(i).Ssrc == ssrc)
            {
                return true;
            }
        }
        return false;
    }

    private long _lastKeyframeResend;

    /// <summary>
    /// A receiver that asks for a keyframe gets the cached one at once, as retransmissions (the same sequence numbers it was
    /// sent with, from the keyframe's first packet to the newest), whether or not the sender answers the request: a browser
    /// drops what arrives before its DTLS is done, and FFmpeg ignores PLI. At most once per 500 ms.
    /// </summary>
    private void ResendCachedKeyframe(Track source)
    {
        if (source.Cache is null || !ReferenceEquals(source, _lastSource))
        {
            return;
        }
        var now = Stopwatch.GetTimestamp();
        var last = Volatile.Read(ref _lastKeyframeResend);
        if (last != 0 && Stopwatch.GetElapsedTime(last, now) < TimeSpan.FromMilliseconds(500))
        {
            return;
        }
        Volatile.Write(ref _lastKeyframeResend, now);
        var newest = (ushort)(Volatile.Read(ref _highestSequence) - _sequenceOffset);
        if (!source.TryGetKeyframeStart(_lastSourceSsrc, (ushort)(newest + 1), out var start))
        {
            return;
        }
        for (var sequence = start; sequence != (ushort)(newest + 1); sequence++)
        {
            Retransmit(source, (ushort)(sequence + _sequenceOffset));
        }
    }

    /// <summary>Resends one packet, rewritten exactly as it was first forwarded to this receiver (same sequence number).</summary>
    private void Retransmit(Track source, ushort receiverSequence)
    {
        if (source.Cache is not { } cache || !ReferenceEquals(source, _lastSource))
        {
            Interlocked.Increment(ref _nacksUnanswered);
            return;
        }
        Span<byte> packet = stackalloc byte[PacketCache.SlotSize];
        var sourceSequence = (ushort)(receiverSequence - _sequenceOffset);
        var length = cache.TryCopy(sourceSequence, _lastSourceSsrc, packet);
        if (length == 0 || !RtpPacket.TryParse(packet[..length], out var parsed))
        {
            Interlocked.Increment(ref _nacksUnanswered);
            return;
        }
        var payloadType = _payloadTypeByCodec[(int)source.CodecOf(parsed.PayloadType)];
        if (payloadType == MediaCodecs.NoPayloadType)
        {
            Interlocked.Increment(ref _nacksUnanswered);
            return;
        }
        packet = packet[..length];
        RtpHeader.SetPayloadType(packet, payloadType);
        RtpHeader.SetSequenceNumber(packet, receiverSequence);
        RtpHeader.SetTimestamp(packet, parsed.Timestamp + _timestampOffset);
        RtpHeader.SetSsrc(packet, Ssrc);
        if (_sender.TrySend(packet, _destination))
        {
            Interlocked.Increment(ref _retransmitted);
            _counters.CountOut(length);
            _metrics.CountOut(length);
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

        if (!_started || !ReferenceEquals(from, _lastSource) || header.Ssrc != _lastSourceSsrc)
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
                Rebase(from, header, codec, nowTicks);
            }
        }
        Send(packet, header.SequenceNumber, header.Timestamp, header.HeaderLength, payloadType, nowTicks);
    }

    private long _keyframeReplays;

    /// <summary>Times this slot started a source from its cached keyframe rather than waiting for the next one.</summary>
    public long KeyframeReplays => Volatile.Read(ref _keyframeReplays);

    private void ReplayFromKeyframe(Track from, ushort start, in RtpHeaderInfo current, MediaCodec codec, long nowTicks)
    {
        Span<byte> scratch = stackalloc byte[PacketCache.SlotSize];
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
                Rebase(from, new RtpHeaderInfo(cached.SequenceNumber, cached.Timestamp, cached.Ssrc, cached.PayloadType,
                    cached.Marker, cached.HeaderLength), codec, nowTicks);
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
            Rebase(from, current, codec, nowTicks);
        }
    }

    private void Send(Span<byte> packet, ushort sourceSequence, uint sourceTimestamp, int headerLength, byte payloadType, long nowTicks)
    {
        var sequence = (ushort)(sourceSequence + _sequenceOffset);
        var timestamp = sourceTimestamp + _timestampOffset;
        if ((short)(sequence - _highestSequence) > 0)
        {
            _highestSequence = sequence;
            _lastSentTicks = nowTicks;
        }
        if ((int)(timestamp - _highestTimestamp) > 0)
        {
            _highestTimestamp = timestamp;
        }

        RtpHeader.SetPayloadType(packet, payloadType);
        RtpHeader.SetSequenceNumber(packet, sequence);
        RtpHeader.SetTimestamp(packet, timestamp);
        RtpHeader.SetSsrc(packet, Ssrc);

        if (_sender.TrySend(packet, _destination))
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

    private void Rebase(Track from, in RtpHeaderInfo header, MediaCodec codec, long nowTicks)
    {
        ushort nextSequence;
        uint nextTimestamp;
        if (!_started)
        {
            nextSequence = _initialSequence;
            nextTimestamp = _initialTimestamp;
            _highestSequence = (ushort)(nextSequence - 1);
            _highestTimestamp = nextTimestamp;
            _started = true;
        }
        else
        {
            // Continue one past what the receiver saw last, and move the clock on by the wall time that passed, so that
            // the new source's media plays at its real distance from the old one's.
            nextSequence = (ushort)(_highestSequence + 1);
            var elapsed = Math.Max(0, nowTicks - _lastSentTicks);
            var advance = (uint)Math.Clamp(elapsed * (double)MediaCodecs.ClockRate(codec) / Stopwatch.Frequency, 1, int.MaxValue);
            nextTimestamp = _highestTimestamp + advance;
        }
        _sequenceOffset = (ushort)(nextSequence - header.SequenceNumber);
        _timestampOffset = nextTimestamp - header.Timestamp;
        _lastSource = from;
        _lastSourceSsrc = header.Ssrc;
        _lastSentTicks = nowTicks;
    }
}
