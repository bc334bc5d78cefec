using System.Diagnostics;
using System.Text;
using MediaServer.Codecs.Rtcp;

namespace MediaServer.Routing;

/// <summary>
/// Builds the RTCP the server sends on its own (RFC 3550 §6.4): a sender report for each slot that carries media, a receiver
/// report for each track it receives, each followed by an SDES CNAME as a compound packet must be (§6.1), and a BYE when a
/// leg closes. Runs on the control path, once a second per leg.
/// </summary>
public static class RtcpReporter
{
    private static readonly byte[] Cname = Encoding.ASCII.GetBytes("mediaserver");

    /// <summary>NTP time (RFC 5905: seconds since 1900 in the high 32 bits, fraction in the low 32).</summary>
    public static ulong NtpTimestamp(DateTimeOffset now)
    {
        const long UnixToNtpSeconds = 2_208_988_800;
        var ticks = now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var seconds = (ulong)(ticks / TimeSpan.TicksPerSecond + UnixToNtpSeconds);
        var fraction = (ulong)((ticks % TimeSpan.TicksPerSecond) * (double)(1UL << 32) / TimeSpan.TicksPerSecond);
        return (seconds << 32) | fraction;
    }

    /// <summary>Sends what a party's leg should get now: SRs for its slots, RRs for its tracks.</summary>
    public static void Report(RouterParty party, DateTimeOffset wallNow)
    {
        Span<byte> buffer = stackalloc byte[256];
        var now = Stopwatch.GetTimestamp();
        foreach (var slot in Slots(party))
        {
            if (slot.Rtcp is not { } channel || slot.PacketsSent == 0)
            {
                continue;
            }
            var length = WriteSenderReport(buffer, slot, now, wallNow);
            channel.SendRtcp(buffer[..length]);
        }
        foreach (var track in new[] { party.Video, party.Audio })
        {
            if (track?.Rtcp is not { } channel || track.Reception.Received == 0)
            {
                continue;
            }
            var reception = track.Reception;
            RtcpReportBlock[] blocks =
            [
                new(reception.Ssrc, reception.TakeFractionLost(), (int)Math.Min(reception.Lost, 0x7FFFFF), reception.ExtendedHighest,
                    (uint)reception.Jitter, 0, 0),
            ];
            var length = RtcpReceiverReport.Write(buffer, channel.RtcpSsrc, blocks);
            length += RtcpSdes.WriteCname(buffer[length..], channel.RtcpSsrc, Cname);
            // The sender may send no faster than its slowest receiver can take (draft-alvestrand-rmcat-remb §2): pass on the
            // lowest estimate among the receivers that gave one, held at the floors (FeedbackPolicy.RembFor) so that no one
            // receiver starves the others, the taps or the recording.
            if (LowestEstimate(track, now) is { } lowest)
            {
                var bitrate = track.Feedback.RembFor(lowest, recorded: track.Journal is not null);
                length += RtcpRemb.Write(buffer[length..], channel.RtcpSsrc, (ulong)bitrate, [reception.Ssrc]);
            }
            channel.SendRtcp(buffer[..length]);
        }
    }

    private static long? LowestEstimate(Track track, long now)
    {
        long? lowest = null;
        foreach (var slot in track.Subscribers)
        {
            if (slot.EstimatedBitrate(now) is { } estimate && (lowest is null || estimate < lowest))
            {
                lowest = estimate;
            }
        }
        return lowest;
    }

    /// <summary>Tells the party that the streams we sent it end (RFC 3550 §6.6), so its receivers stop at once.</summary>
    public static void Goodbye(RouterParty party)
    {
        Span<byte> buffer = stackalloc byte[256];
        foreach (var slot in Slots(party))
        {
            if (slot.Rtcp is not { } channel || slot.PacketsSent == 0)
            {
                continue;
            }
            var length = WriteSenderReport(buffer, slot, Stopwatch.GetTimestamp(), DateTimeOffset.UtcNow);
            length += RtcpBye.Write(buffer[length..], [slot.Ssrc], default);
            channel.SendRtcp(buffer[..length]);
        }
    }

    /// <summary>An SR for the slot's stream followed by its SDES CNAME: the start every compound packet needs (RFC 3550 §6.1).</summary>
    private static int WriteSenderReport(Span<byte> buffer, ReceiverSlot slot, long nowTicks, DateTimeOffset wallNow)
    {
        var ntp = NtpTimestamp(wallNow);
        var length = RtcpSenderReport.Write(buffer, slot.Ssrc, ntp, slot.CurrentTimestamp(nowTicks),
            (uint)slot.PacketsSent, (uint)slot.OctetsSent, []);
        // The receiver's next report names this SR (LSR), which gives the slot its round trip (RFC 3550 §6.4.1).
        slot.NoteSenderReport(ntp);
        return length + RtcpSdes.WriteCname(buffer[length..], slot.Ssrc, Cname);
    }

    private static IEnumerable<ReceiverSlot> Slots(RouterParty party) => party.VideoSlots.Concat(party.AudioSlots);
}
