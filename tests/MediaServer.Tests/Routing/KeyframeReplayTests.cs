using MediaServer.Codecs.Rtp;
using MediaServer.Media;
using MediaServer.Metrics;
using MediaServer.Routing;

namespace MediaServer.Tests.Routing;

/// <summary>
/// A receiver that starts on a video source mid-stream gets the cached packets from the newest keyframe first, so it decodes
/// at once even when the sender ignores keyframe requests.
/// </summary>
public sealed class KeyframeReplayTests
{
    private readonly RelayMetrics _metrics = new();
    private readonly RecordingSender _sender = new();

    // RFC 7741 §4.2 descriptor (S=1, PID=0) and §4.3 payload header: P=0 is a keyframe, P=1 an interframe. Byte 4 tags the packet.
    private static byte[] Vp8(ushort sequence, uint timestamp, bool keyframeStart, bool frameStart = true)
    {
        var payload = new byte[40];
        payload[0] = (byte)(frameStart ? 0x10 : 0x00);
        payload[1] = (byte)(keyframeStart ? 0x00 : 0x01);
        payload[4] = (byte)sequence;
        var buffer = new byte[12 + payload.Length];
        Assert.True(RtpPacketWriter.TryWrite(buffer, new RtpHeaderFields(false, 96, sequence, timestamp, 0x1234), payload, out var written));
        return buffer[..written];
    }

    private (Track Track, VisitRouter Router) Sender()
    {
        var map = new MediaCodec[128];
        map[96] = MediaCodec.Vp8;
        var counters = new PartyCounters(0);
        var track = new Track("kiosk", MediaKind.Video, map, counters, _metrics);
        var router = new VisitRouter("v");
        router.Attach(new RouterParty("kiosk", true, track, null, [], [], counters));
        return (track, router);
    }

    private ReceiverSlot Receiver(VisitRouter router)
    {
        var slot = new ReceiverSlot("mum", MediaKind.Video, 0, [255, 100, 255, 255], 0xCAFEBABE, _sender,
            new PartyCounters(0), _metrics);
        router.Attach(new RouterParty("mum", false, null, null, [slot], [], new PartyCounters(0)));
        return slot;
    }

    private static void Relay(Track track, byte[] packet) => track.OnRtp(packet, Packets.Info(packet));

    [Fact]
    public void A_late_receiver_first_gets_the_cached_packets_from_the_newest_keyframe_in_order_then_the_live_one()
    {
        var (track, router) = Sender();
        // Frames of two packets each: a keyframe at 100–101, interframes after; an older keyframe at 90 must not be chosen.
        Relay(track, Vp8(90, 0, keyframeStart: true));
        for (ushort seq = 91; seq < 100; seq++)
        {
            Relay(track, Vp8(seq, (uint)(seq / 2 * 3000), keyframeStart: false, frameStart: seq % 2 == 0));
        }
        Relay(track, Vp8(100, 150_000, keyframeStart: true));
        Relay(track, Vp8(101, 150_000, keyframeStart: false, frameStart: false));
        for (ushort seq = 102; seq < 108; seq++)
        {
            Relay(track, Vp8(seq, (uint)(150_000 + ((seq - 100) / 2 * 3000)), keyframeStart: false, frameStart: seq % 2 == 0));
        }
        var slot = Receiver(router);
        Relay(track, Vp8(108, 162_000, keyframeStart: false));

        var tags = _sender.Sent.Select(p => p[12 + 4]).ToList();
        Assert.Equal(Enumerable.Range(100, 9).Select(i => (byte)i), tags);
        var headers = _sender.Headers();
        for (var i = 1; i < headers.Count; i++)
        {
            Assert.Equal((ushort)(headers[i - 1].Seq + 1), headers[i].Seq);
        }
        Assert.All(headers, h => Assert.Equal(0xCAFEBABEu, h.Ssrc));
        Assert.Equal(12_000u, headers[^1].Ts - headers[0].Ts); // the live packet keeps its distance from the keyframe
        Assert.Equal(1, slot.KeyframeReplays);

        // Afterwards it is an ordinary receiver: one packet in, one out.
        Relay(track, Vp8(109, 162_000, keyframeStart: false, frameStart: false));
        Assert.Equal(10, _sender.Sent.Count);
    }

    [Fact]
    public void A_pli_from_the_receiver_resends_the_cached_keyframe_with_the_sequence_numbers_it_had_at_most_twice_a_second()
    {
        var (track, router) = Sender();
        var slot = Receiver(router);
        Relay(track, Vp8(10, 0, keyframeStart: true));
        for (ushort seq = 11; seq < 15; seq++)
        {
            Relay(track, Vp8(seq, (uint)(seq * 3000), keyframeStart: false));
        }
        var first = _sender.Headers();
        Assert.Equal(5, first.Count);
        _sender.Sent.Clear();

        var pli = new byte[Codecs.Rtcp.RtcpPli.Length];
        Assert.True(Codecs.Rtcp.RtcpPli.Write(pli, 0x5555, slot.Ssrc) > 0);
        slot.OnRtcp(pli);
        Assert.Equal(first.Select(h => h.Seq), _sender.Headers().Select(h => h.Seq));
        Assert.Equal(Enumerable.Range(10, 5).Select(i => (byte)i), _sender.Sent.Select(p => p[12 + 4]));

        slot.OnRtcp(pli); // a second request right after: merged
        Assert.Equal(5, _sender.Sent.Count);
    }

    [Fact]
    public void A_receiver_that_starts_on_a_keyframe_or_on_another_ssrc_gets_no_replay()
    {
        var (track, router) = Sender();
        Relay(track, Vp8(10, 0, keyframeStart: true));
        Relay(track, Vp8(11, 3000, keyframeStart: false));
        var slot = Receiver(router);
        // The sender restarted with a new SSRC: the cached keyframe belongs to the old stream.
        var restarted = Vp8(500, 9000, keyframeStart: false);
        RtpHeader.SetSsrc(restarted, 0x9999);
        track.OnRtp(restarted, Packets.Info(restarted));
        Assert.Single(_sender.Sent);
        Assert.Equal(0, slot.KeyframeReplays);
    }

    [Fact]
    public void A_keyframe_no_longer_cached_is_not_replayed()
    {
        var (track, router) = Sender();
        Relay(track, Vp8(0, 0, keyframeStart: true));
        for (var seq = 1; seq <= Track.MaxKeyframeReplay + 5; seq++)
        {
            Relay(track, Vp8((ushort)seq, (uint)(seq * 3000), keyframeStart: false));
        }
        var slot = Receiver(router);
        Relay(track, Vp8((ushort)(Track.MaxKeyframeReplay + 6), 0, keyframeStart: false));
        Assert.Single(_sender.Sent);
        Assert.Equal(0, slot.KeyframeReplays);
    }
}
