using System.Diagnostics;
using System.Numerics;
using MediaServer.Codecs.Rtcp;
using MediaServer.Codecs.Rtp;
using MediaServer.Media;
using MediaServer.Metrics;

namespace MediaServer.Routing;

/// <summary>
/// A receiver slot's resends from its source's packet cache: the packets a NACK names (within <see cref="FeedbackPolicy"/>'s
/// bounds), and the cached keyframe after a PLI or FIR, each rewritten exactly as it was first sent to the receiver and paid
/// from the receiver's <see cref="RetransmitBudget"/>. Runs on the receiver's RTCP loop; nothing allocates.
/// </summary>
public sealed class Resender
{
    private readonly ReceiverSlot _slot;
    private readonly RtpRewriter _rewriter;
    private readonly IRtpSender _sender;
    private readonly PartyCounters _counters;
    private readonly RelayMetrics _metrics;
    private readonly RetransmitBudget _budget = new();
    // Only video is cached, so only video is ever resent.
    private readonly ResendHistory? _history;
    private long _lastKeyframeResend;
    private long _retransmitted;
    private long _retransmittedBytes;
    private long _nacksUnanswered;
    private long _nackRepeats;
    private long _nackOverLimit;
    private long _budgetRefused;

    internal Resender(ReceiverSlot slot, RtpRewriter rewriter, IRtpSender sender, PartyCounters counters, RelayMetrics metrics)
    {
        _slot = slot;
        _rewriter = rewriter;
        _sender = sender;
        _counters = counters;
        _metrics = metrics;
        _history = slot.Kind == MediaKind.Video ? new ResendHistory() : null;
    }

    public long Retransmitted => Volatile.Read(ref _retransmitted);
    public long RetransmittedBytes => Volatile.Read(ref _retransmittedBytes);
    public long NacksUnanswered => Volatile.Read(ref _nacksUnanswered);
    public long NackRepeats => Volatile.Read(ref _nackRepeats);
    public long NackOverLimit => Volatile.Read(ref _nackOverLimit);
    public long BudgetRefused => Volatile.Read(ref _budgetRefused);

    /// <summary>
    /// Answers a generic NACK (RFC 4585 §6.2.1) within bounds: at most <see cref="FeedbackPolicy.MaxNackPackets"/> of the packets
    /// it names (PID, then each BLP bit i naming PID+i+1; the rest counted as nack_over_limit); none resent to this receiver
    /// less than <paramref name="intervalTicks"/> ago (nack_repeat), so one packet named in many entries goes once; each paid
    /// from the retransmission budget (retransmit_budget). The FCI is walked entry by entry.
    /// </summary>
    public void AnswerNack(Track source, in RtcpGenericNack nack, long intervalTicks)
    {
        var now = Stopwatch.GetTimestamp();
        var left = _slot.Feedback.MaxNackPackets;
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
                if (_history is not null && _history.ResentWithin(sequence, now, intervalTicks))
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

    /// <summary>
    /// A receiver that asks for a keyframe gets the cached one at once, as retransmissions (the same sequence numbers it was
    /// sent with, from the keyframe's first packet to the newest), whether or not the sender answers the request: a browser
    /// drops what arrives before its DTLS is done, and FFmpeg ignores PLI. At most once per 500 ms, and from the same
    /// retransmission budget as NACK answers.
    /// </summary>
    public void ResendCachedKeyframe(Track source)
    {
        if (source.Cache is null || !ReferenceEquals(source, _rewriter.LastSource))
        {
            return;
        }
        var now = Stopwatch.GetTimestamp();
        var last = Volatile.Read(ref _lastKeyframeResend);
        if (last != 0 && Stopwatch.GetElapsedTime(last, now) < TimeSpan.FromMilliseconds(500))
        {
            return;
        }
        var newest = _rewriter.NewestSourceSequence;
        if (!source.TryGetKeyframeStart(_rewriter.LastSourceSsrc, (ushort)(newest + 1), out var start))
        {
            return;
        }
        // The keyframe goes whole or not at all (half a keyframe decodes nothing): it needs budget left to start, and may
        // overdraw it; the debt is repaid before this receiver's NACKs are answered again, so PLI every 500 ms still gets no
        // more than the budget over time.
        _budget.Refill(_slot.Feedback, now, _slot.OctetsSent);
        if (_budget.Tokens <= 0)
        {
            Interlocked.Increment(ref _budgetRefused);
            _metrics.CountDrop(DropReason.RetransmitBudget);
            return;
        }
        Volatile.Write(ref _lastKeyframeResend, now);
        for (var sequence = start; sequence != (ushort)(newest + 1); sequence++)
        {
            Retransmit(source, _rewriter.ReceiverSequence(sequence), now, overdraw: true);
        }
    }

    /// <summary>
    /// Resends one packet, rewritten exactly as it was first forwarded to this receiver (same sequence number), if the budget
    /// allows (<paramref name="overdraw"/>: the packet is part of a keyframe already paid for, see ResendCachedKeyframe).
    /// </summary>
    private void Retransmit(Track source, ushort receiverSequence, long now, bool overdraw)
    {
        if (source.Cache is not { } cache || !ReferenceEquals(source, _rewriter.LastSource))
        {
            Interlocked.Increment(ref _nacksUnanswered);
            return;
        }
        Span<byte> packet = stackalloc byte[PacketCache.SlotSize];
        var length = cache.TryCopy(_rewriter.SourceSequence(receiverSequence), _rewriter.LastSourceSsrc, packet);
        if (length == 0 || !RtpPacket.TryParse(packet[..length], out var parsed))
        {
            Interlocked.Increment(ref _nacksUnanswered);
            return;
        }
        var payloadType = _slot.PayloadTypeOf(source.CodecOf(parsed.PayloadType));
        if (payloadType == MediaCodecs.NoPayloadType)
        {
            Interlocked.Increment(ref _nacksUnanswered);
            return;
        }
        _budget.Refill(_slot.Feedback, now, _slot.OctetsSent);
        if (!_budget.TrySpend(length, overdraw))
        {
            Interlocked.Increment(ref _budgetRefused);
            _metrics.CountDrop(DropReason.RetransmitBudget);
            return;
        }
        packet = packet[..length];
        _rewriter.RewriteResend(packet, receiverSequence, parsed.Timestamp, payloadType);
        if (_sender.TrySend(packet))
        {
            _history?.Note(receiverSequence, now);
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
}
