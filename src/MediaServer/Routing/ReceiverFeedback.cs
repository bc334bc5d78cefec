using System.Diagnostics;
using MediaServer.Codecs.Rtcp;
using MediaServer.Metrics;

namespace MediaServer.Routing;

/// <summary>
/// What a receiver's RTCP about one slot's stream makes the relay do: NACKs are answered from the source's cache
/// (RFC 4585 §6.2.1, only where negotiated); PLI and FIR (RFC 5104 §4.3.1) become a keyframe request to the sender, throttled
/// there, and a resend of the cached keyframe; reception reports give the round trip (RFC 3550 §6.4.1); REMB gives the
/// bitrate the receiver can take (not from a tap). Feedback about other SSRCs is ignored. Runs on the receiver's RTCP loop.
/// </summary>
public sealed class ReceiverFeedback
{
    private readonly ReceiverSlot _slot;
    private readonly Resender _resender;
    private readonly RelayMetrics _metrics;

    // The NTP times (middle 32 bits) of the last sender reports sent on this slot, written by the reporter (control path):
    // a receiver report's LSR must name one of them to be believed (RFC 3550 §6.4.1).
    private readonly uint[] _reportsSent = new uint[4];
    private int _reportsSentNext;
    private long _rttTicks;
    private long _rembBitrate;
    private long _rembTicks;

    internal ReceiverFeedback(ReceiverSlot slot, Resender resender, RelayMetrics metrics)
    {
        _slot = slot;
        _resender = resender;
        _metrics = metrics;
    }

    /// <summary>The round trip from the last believed reception report (RFC 3550 §6.4.1); null until one.</summary>
    public TimeSpan? RoundTrip
    {
        get
        {
            var ticks = Volatile.Read(ref _rttTicks);
            return ticks == 0 ? null : Stopwatch.GetElapsedTime(0, ticks);
        }
    }

    /// <summary>How long a packet resent to this receiver is not resent again: its round trip, else the configured default.</summary>
    public long ResendIntervalTicks
    {
        get
        {
            var rtt = Volatile.Read(ref _rttTicks);
            return rtt != 0 ? rtt : _slot.Feedback.DefaultRttTicks;
        }
    }

    /// <summary>Remembers a sender report sent on this slot (its 64-bit NTP time), for the round trip its answer gives.</summary>
    public void NoteSenderReport(ulong ntpTimestamp)
    {
        var index = Interlocked.Increment(ref _reportsSentNext) & (_reportsSent.Length - 1);
        Volatile.Write(ref _reportsSent[index], (uint)(ntpTimestamp >> 16));
    }

    /// <summary>The bitrate the receiver last said it can take (REMB), if it said so in the last five seconds.</summary>
    public long? EstimatedBitrate(long nowTicks)
    {
        var at = Volatile.Read(ref _rembTicks);
        return at != 0 && Stopwatch.GetElapsedTime(at, nowTicks) < TimeSpan.FromSeconds(5) ? Volatile.Read(ref _rembBitrate) : null;
    }

    public void OnRtcp(ReadOnlySpan<byte> compound, Track source)
    {
        var ssrc = _slot.Ssrc;
        var reader = new RtcpCompoundReader(compound);
        while (reader.MoveNext())
        {
            var packet = reader.Current;
            if (packet.PacketType == RtcpPacketType.TransportFeedback && packet.Format == RtcpFeedbackFormat.GenericNack
                && RtcpGenericNack.TryParse(packet.Span, out var nack) && nack.MediaSsrc == ssrc)
            {
                if (!_slot.AnswersNacks)
                {
                    _metrics.CountDrop(DropReason.NackNotNegotiated);
                    continue;
                }
                _resender.AnswerNack(source, nack, ResendIntervalTicks);
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
                && RtcpPli.TryParse(packet.Span, out var pli) && pli.MediaSsrc == ssrc)
            {
                source.RequestKeyframe();
                _resender.ResendCachedKeyframe(source);
            }
            else if (packet.PacketType == RtcpPacketType.PayloadFeedback && packet.Format == RtcpFeedbackFormat.ApplicationLayer
                && !_slot.Hidden && RtcpRemb.TryParse(packet.Span, out var remb) && RembNames(remb, ssrc))
            {
                Volatile.Write(ref _rembBitrate, (long)Math.Min(remb.Bitrate, long.MaxValue));
                Volatile.Write(ref _rembTicks, Stopwatch.GetTimestamp());
            }
            else if (packet.PacketType == RtcpPacketType.PayloadFeedback && packet.Format == RtcpFeedbackFormat.FullIntraRequest
                && RtcpFir.TryParse(packet.Span, out var fir) && FirNames(fir, ssrc))
            {
                source.RequestKeyframe();
                _resender.ResendCachedKeyframe(source);
            }
        }
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

    /// <summary>
    /// A reception report block about this slot's stream gives the round trip (RFC 3550 §6.4.1): arrival − LSR − DLSR, in
    /// 1/65536 s. Believed only when its LSR is one of our own recent sender reports (a made-up LSR is ignored), and held
    /// within [<see cref="FeedbackPolicy.MinRtt"/>, <see cref="FeedbackPolicy.MaxRtt"/>].
    /// </summary>
    private void NoteReceptionReport(in RtcpReportBlock block)
    {
        if (block.Ssrc != _slot.Ssrc || block.LastSenderReport == 0 || !SentReport(block.LastSenderReport))
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
}
