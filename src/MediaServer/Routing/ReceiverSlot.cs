using System.Diagnostics;
using System.Net;
using System.Numerics;
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
        if (kind == MediaKind.Video)
        {
            // Only video is cached, so only video is ever resent: one entry per cache slot.
            _resentAt = new long[PacketCache.DefaultCapacity];
            _resentSequence = new int[PacketCache.DefaultCapacity];
            Array.Fill(_resentSequence, -1);
        }
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
    private long _retransmittedBytes;
    private long _nacksUnanswered;
    private long _nackRepeats;
    private long _nackOverLimit;
    private long _budgetRefused;

    /// <summary>Packets resent from the cache in answer to this receiver's NACKs (and keyframes resent after its PLI/FIR).</summary>
    public long Retransmitted => Volatile.Read(ref _retransmitted);

    /// <summary>Bytes of those retransmissions.</summary>
    public long RetransmittedBytes => Volatile.Read(ref _retransmittedBytes);

    /// <summary>
    /// Whether this receiver's NACKs are answered: only when its leg negotiated generic NACK (<c>a=rtcp-fb:&lt;pt&gt; nack</c> or
    /// <c>a=rtcp-fb:* nack</c>, RFC 4585 §4.2), and for WebRTC legs only while MediaServer:WebRtc:Nack is on. Off by default.
    /// </summary>
    public bool AnswersNacks { get; init; }

    /// <summary>The bounds its feedback is answered within (MediaServer:Relay).</summary>
    public FeedbackPolicy Feedback { get; init; } = FeedbackPolicy.Default;

    /// <summary>NACKed packets no longer (or never) in the cache.</summary>
    public long NacksUnanswered => Volatile.Read(ref _nacksUnanswered);

    /// <summary>NACKed packets not resent because they were resent to this receiver less than a round trip ago.</summary>
    public long NackRepeats => Volatile.Read(ref _nackRepeats);

    /// <summary>Packets its NACKs named beyond <see cref="FeedbackPolicy.MaxNackPackets"/> per message.</summary>
    public long NackOverLimit => Volatile.Read(ref _nackOverLimit);

    /// <summary>Retransmissions refused because its retransmission byte budget was spent.</summary>
    public long RetransmitBudgetRefused => Volatile.Read(ref _budgetRefused);

    // Feedback state below is touched only by this receiver's RTCP loop (OnRtcp and what it calls), except where noted.

    // When each receiver sequence number was last resent (ticks; by sequence modulo the cache size), so that a packet goes to
    // this receiver at most once per round trip however often, or in however many entries, it is asked for.
    private readonly long[]? _resentAt;
    private readonly int[]? _resentSequence;

    // Retransmission byte budget: a token bucket that fills with a share of what this receiver is sent plus a floor rate.
    private double _budgetTokens;
    private long _budgetRefilledAt;
    private long _budgetDeliveredMark;

    // The NTP times (middle 32 bits) of the last sender reports sent on this slot, written by the reporter (control path):
    // a receiver report's LSR must name one of them to be believed (RFC 3550 §6.4.1).
    private readonly uint[] _reportsSent = new uint[4];
    private int _reportsSentNext;
    private long _rttTicks;

    /// <summary>The round trip to this receiver from its last receiver report about this slot (RFC 3550 §6.4.1); null until one.</summary>
    public TimeSpan? RoundTrip
    {
        get
        {
            var ticks = Volatile.Read(ref _rttTicks);
            return ticks == 0 ? null : Stopwatch.GetElapsedTime(0, ticks);
        }
    }

    /// <summary>Remembers a sender report sent on this slot (its 64-bit NTP time), for the round trip its answer gives.</summary>
    internal void NoteSenderReport(ulong ntpTimestamp)
    {
        var index = Interlocked.Increment(ref _reportsSentNext) & (_reportsSent.Length - 1);
        Volatile.Write(ref _reportsSent[index], (uint)(ntpTimestamp >> 16));
    }

    /// <summary>How long a packet resent to this receiver is not resent again: its round trip, else the configured default.</summary>
    private long ResendIntervalTicks
    {
        get
        {
            var rtt = Volatile.Read(ref _rttTicks);
            return rtt != 0 ? rtt : Feedback.DefaultRttTicks;
        }
    }

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
                    _metrics.CountDrop(DropReason.NackNotNegotiated);
                    continue;
                }
                AnswerNack(source, nack);
            }
            else if (packet.PacketType == RtcpPacketType.ReceiverReport && RtcpReceiverReport.TryParse(packet.Span, out var rr))
            {
                for (var i = 0; i < rr.ReportCount; i++)
                {
                    NoteReceptionReport(rr.GetReportBlock(i));
                }
            }
            else if (packet.PacketType == RtcpPacketType.SenderReport && RtcpSenderReport.TryParse(packet.Span, out var sr))
            {
                for (var i = 0; i < sr.ReportCount; i++)
                {
                    NoteReceptionReport(sr.GetReportBlock(i));
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
    /// drops what arrives before its DTLS is done, and FFmpeg ignores PLI. At most once per 500 ms, and from the same
    /// retransmission budget as NACK answers.
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
        var newest = (ushort)(Volatile.Read(ref _highestSequence) - _sequenceOffset);
        if (!source.TryGetKeyframeStart(_lastSourceSsrc, (ushort)(newest + 1), out var start))
        {
            return;
        }
        // The keyframe goes whole or not at all (half a keyframe decodes nothing): it needs budget left to start, and may
        // overdraw it; the debt is repaid before this receiver's NACKs are answered again, so PLI every 500 ms still gets no
        // more than the budget over time.
        RefillBudget(now);
        if (_budgetTokens <= 0)
        {
            Interlocked.Increment(ref _budgetRefused);
            _metrics.CountDrop(DropReason.RetransmitBudget);
            return;
        }
        Volatile.Write(ref _lastKeyframeResend, now);
        for (var sequence = start; sequence != (ushort)(newest + 1); sequence++)
        {
            Retransmit(source, (ushort)(sequence + _sequenceOffset), now, overdraw: true);
        }
    }

    /// <summary>
    /// Answers a generic NACK (RFC 4585 §6.2.1) within bounds: at most <see cref="FeedbackPolicy.MaxNackPackets"/> of the packets
    /// it names (PID, then each BLP bit i naming PID+i+1; the rest counted as nack_over_limit); none resent to this receiver
    /// less than a round trip ago (nack_repeat), so one packet named in many entries goes once; each paid from the
    /// retransmission budget (retransmit_budget). The FCI is walked entry by entry; nothing allocates.
    /// </summary>
    private void AnswerNack(Track source, in RtcpGenericNack nack)
    {
        var now = Stopwatch.GetTimestamp();
        var interval = ResendIntervalTicks;
        var left = Feedback.MaxNackPackets;
        long excess = 0;
        long repeats = 0;
        var entries = nack.EntryCount;
        for (var i = 0; i < entries; i++)
        {
            var (pid, blp) = nack.GetEntry(i);
            if (left == 0)
            {
                excess += 1 + BitOperations.PopCount(blp);
                continue;
            }
            for (var bit = -1; bit < 16; bit++)
            {
                if (bit >= 0 && (blp & (1 << bit)) == 0)
                {
                    continue;
                }
                if (left == 0)
                {
                    excess++;
                    continue;
                }
                left--;
                var sequence = (ushort)(pid + bit + 1);
                if (ResentWithin(sequence, now, interval))
                {
                    repeats++;
                    continue;
                }
                Retransmit(source, sequence, now, overdraw: false);
            }
        }
        if (repeats > 0)
        {
            Interlocked.Add(ref _nackRepeats, repeats);
            _metrics.CountDrops(DropReason.NackRepeat, repeats);
        }
        if (excess > 0)
        {
            Interlocked.Add(ref _nackOverLimit, excess);
            _metrics.CountDrops(DropReason.NackOverLimit, excess);
        }
    }

    private bool ResentWithin(ushort receiverSequence, long now, long interval)
    {
        if (_resentAt is null || _resentSequence is null)
        {
            return false;
        }
        var index = receiverSequence & (_resentAt.Length - 1);
        return _resentSequence[index] == receiverSequence && now - _resentAt[index] < interval;
    }

    /// <summary>
    /// A reception report block about this slot's stream gives the round trip (RFC 3550 §6.4.1): arrival − LSR − DLSR, in
    /// 1/65536 s. Believed only when its LSR is one of our own recent sender reports (a made-up LSR is ignored), and held
    /// within [<see cref="FeedbackPolicy.MinRtt"/>, <see cref="FeedbackPolicy.MaxRtt"/>].
    /// </summary>
    private void NoteReceptionReport(in RtcpReportBlock block)
    {
        if (block.Ssrc != Ssrc || block.LastSenderReport == 0 || !SentReport(block.LastSenderReport))
        {
            return;
        }
        var arrival = (uint)(RtcpReporter.NtpTimestamp(DateTimeOffset.UtcNow) >> 16);
        var rtt = (int)(arrival - block.LastSenderReport - block.DelaySinceLastSenderReport);
        if (rtt < 0)
        {
            return;
        }
        var seconds = Math.Clamp(rtt / 65536.0, FeedbackPolicy.MinRtt.TotalSeconds, FeedbackPolicy.MaxRtt.TotalSeconds);
        Volatile.Write(ref _rttTicks, (long)(seconds * Stopwatch.Frequency));
    }

    private bool SentReport(uint lastSenderReport)
    {
        for (var i = 0; i < _reportsSent.Length; i++)
        {
            if (Volatile.Read(ref _reportsSent[i]) == lastSenderReport)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Adds what the budget earned since it was last looked at: <see cref="FeedbackPolicy.RetransmitShare"/> of the payload
    /// bytes sent to this receiver since (read across threads: the sender's loop counts them) plus the floor rate, up to the
    /// burst. A new slot starts with a full burst.
    /// </summary>
    private void RefillBudget(long now)
    {
        var delivered = Volatile.Read(ref _octetsSent);
        if (_budgetRefilledAt == 0)
        {
            _budgetTokens = Feedback.RetransmitBurstBytes;
        }
        else
        {
            var seconds = (now - _budgetRefilledAt) / (double)Stopwatch.Frequency;
            var earned = seconds * Feedback.RetransmitFloorBytesPerSecond + (delivered - _budgetDeliveredMark) * Feedback.RetransmitShare;
            _budgetTokens = Math.Min(Feedback.RetransmitBurstBytes, _budgetTokens + earned);
        }
        _budgetRefilledAt = now;
        _budgetDeliveredMark = delivered;
    }

    /// <summary>
    /// Resends one packet, rewritten exactly as it was first forwarded to this receiver (same sequence number), if the budget
    /// allows (<paramref name="overdraw"/>: the packet is part of a keyframe already paid for, see ResendCachedKeyframe).
    /// </summary>
    private void Retransmit(Track source, ushort receiverSequence, long now, bool overdraw)
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
        RefillBudget(now);
        if (!overdraw && _budgetTokens < length)
        {
            Interlocked.Increment(ref _budgetRefused);
            _metrics.CountDrop(DropReason.RetransmitBudget);
            return;
        }
        _budgetTokens -= length;
        packet = packet[..length];
        RtpHeader.SetPayloadType(packet, payloadType);
        RtpHeader.SetSequenceNumber(packet, receiverSequence);
        RtpHeader.SetTimestamp(packet, parsed.Timestamp + _timestampOffset);
        RtpHeader.SetSsrc(packet, Ssrc);
        if (_sender.TrySend(packet, _destination))
        {
            if (_resentAt is not null && _resentSequence is not null)
            {
                var index = receiverSequence & (_resentAt.Length - 1);
                _resentAt[index] = now;
                _resentSequence[index] = receiverSequence;
            }
            Interlocked.Increment(ref _retransmitted);
            Interlocked.Add(ref _retransmittedBytes, length);
            _counters.CountOut(length);
            _metrics.CountOut(length);
            _metrics.CountRetransmission(length);
        }
        else
        {
            _metrics.CountDrop(DropReason.SendError);
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
