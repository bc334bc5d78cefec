using System.Diagnostics;
using MediaServer.Codecs.Rtp;
using MediaServer.Media;
using MediaServer.Metrics;
using MediaServer.Routing;

namespace MediaServer.Tests.Routing;

/// <summary>The per-receiver header rewrite on its own: the receiver's numbering, whatever the source does.</summary>
public sealed class RtpRewriterTests
{
    private const uint Ssrc = 0xCAFEBABE;
    private readonly RtpRewriter _rewriter = new(Ssrc, initialSequence: 65530, initialTimestamp: 1000);
    private readonly Track _kiosk = NewTrack("kiosk");

    private static Track NewTrack(string id)
    {
        var map = new MediaCodec[128];
        map[96] = MediaCodec.Vp8;
        return new Track(id, MediaKind.Video, map, new PartyCounters(0), new RelayMetrics());
    }

    private (ushort Seq, uint Ts, uint Ssrc, byte Pt) Rewrite(ushort sequence, uint timestamp, long now, byte payloadType = 100)
    {
        var packet = Packets.Rtp(96, sequence, timestamp, 0x1111);
        _rewriter.Rewrite(packet, sequence, timestamp, payloadType, now);
        return (RtpHeader.GetSequenceNumber(packet), RtpHeader.GetTimestamp(packet), RtpHeader.GetSsrc(packet), RtpHeader.GetPayloadType(packet));
    }

    [Fact]
    public void The_first_source_starts_at_the_initial_numbers_with_the_receivers_ssrc_and_payload_type()
    {
        Assert.True(_rewriter.NeedsRebase(_kiosk, 0x1111));
        _rewriter.Rebase(_kiosk, 500, 77_000, 0x1111, 90000, nowTicks: 1);

        Assert.Equal(((ushort)65530, 1000u, Ssrc, (byte)100), Rewrite(500, 77_000, 1));
        // Sequence numbers wrap as the receiver's own (RFC 3550 §5.1), the source's distance kept.
        Assert.Equal(((ushort)2, 1000u + 6000, Ssrc, (byte)100), Rewrite(508, 83_000, 2));
        Assert.False(_rewriter.NeedsRebase(_kiosk, 0x1111));
        Assert.Equal((ushort)508, _rewriter.NewestSourceSequence);
    }

    [Fact]
    public void A_new_source_continues_one_past_the_newest_and_moves_the_clock_by_the_wall_time_between()
    {
        _rewriter.Rebase(_kiosk, 500, 77_000, 0x1111, 90000, nowTicks: 1);
        Rewrite(500, 77_000, 1);
        var visitor = NewTrack("visitor");
        Assert.True(_rewriter.NeedsRebase(visitor, 0x2222));

        var oneSecondLater = 1 + Stopwatch.Frequency;
        _rewriter.Rebase(visitor, 9, 5, 0x2222, 90000, oneSecondLater);
        var packet = Packets.Rtp(96, 9, 5, 0x2222);
        _rewriter.Rewrite(packet, 9, 5, 100, oneSecondLater);

        Assert.Equal((ushort)65531, RtpHeader.GetSequenceNumber(packet));
        Assert.Equal(1000u + 90000, RtpHeader.GetTimestamp(packet));
        Assert.Same(visitor, _rewriter.LastSource);
    }

    [Fact]
    public void A_late_packet_keeps_its_place_and_does_not_move_the_newest_back()
    {
        _rewriter.Rebase(_kiosk, 500, 77_000, 0x1111, 90000, nowTicks: 1);
        Rewrite(500, 77_000, 1);
        Rewrite(502, 80_000, 2);

        Assert.Equal(((ushort)65531, 1000u + 1500, Ssrc, (byte)100), Rewrite(501, 78_500, 3));
        Assert.Equal((ushort)502, _rewriter.NewestSourceSequence);
    }

    [Fact]
    public void A_resend_carries_the_numbers_the_packet_was_first_sent_with()
    {
        _rewriter.Rebase(_kiosk, 500, 77_000, 0x1111, 90000, nowTicks: 1);
        var first = Rewrite(503, 81_000, 1);
        var cached = Packets.Rtp(96, 503, 81_000, 0x1111);

        _rewriter.RewriteResend(cached, _rewriter.ReceiverSequence(503), 81_000, 100);

        Assert.Equal(first, (RtpHeader.GetSequenceNumber(cached), RtpHeader.GetTimestamp(cached), RtpHeader.GetSsrc(cached), RtpHeader.GetPayloadType(cached)));
        Assert.Equal((ushort)503, _rewriter.SourceSequence(first.Seq));
    }
}
