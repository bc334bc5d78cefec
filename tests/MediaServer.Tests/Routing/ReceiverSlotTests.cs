using MediaServer.Media;
using MediaServer.Metrics;
using MediaServer.Routing;

namespace MediaServer.Tests.Routing;

public sealed class ReceiverSlotTests
{
    private readonly RelayMetrics _metrics = new();
    private readonly RecordingSender _sender = new();

    private (Track Track, ReceiverSlot Slot, VisitRouter Router) Wire(byte receiverPayloadType = 100)
    {
        var map = new MediaCodec[128];
        map[96] = MediaCodec.Vp8;
        map[97] = MediaCodec.H264;
        var senderCounters = new PartyCounters(0);
        var track = new Track("kiosk", MediaKind.Video, map, senderCounters, _metrics);
        var slot = new ReceiverSlot("mum", MediaKind.Video, 0, [255, receiverPayloadType, 255, 255], 0xCAFEBABE, _sender,
            new PartyCounters(0), _metrics);
        var router = new VisitRouter("v");
        router.Attach(new RouterParty("kiosk", true, track, null, [], [], senderCounters));
        router.Attach(new RouterParty("mum", false, null, null, [slot], [], new PartyCounters(0)));
        return (track, slot, router);
    }

    private static void Send(Track track, byte pt, ushort seq, uint ts, uint ssrc)
    {
        var packet = Packets.Rtp(pt, seq, ts, ssrc);
        track.OnRtp(packet, Packets.Info(packet));
    }

    [Fact]
    public void The_receiver_sees_its_own_ssrc_and_payload_type()
    {
        var (track, _, _) = Wire();
        Send(track, 96, 1000, 5000, 0x11111111);
        var (_, _, ssrc, pt) = Assert.Single(_sender.Headers());
        Assert.Equal(0xCAFEBABEu, ssrc);
        Assert.Equal(100, pt);
    }

    [Fact]
    public void Sequence_and_timestamp_continue_across_a_sender_restart_with_a_new_ssrc()
    {
        var (track, _, _) = Wire();
        for (ushort i = 0; i < 10; i++)
        {
            Send(track, 96, (ushort)(60000 + i), 90_000u + (i * 3000u), 0x11111111);
        }
        // The sender restarts: new SSRC, sequence and timestamp from somewhere else entirely.
        for (ushort i = 0; i < 10; i++)
        {
            Send(track, 96, (ushort)(7 + i), 12u + (i * 3000u), 0x22222222);
        }
        var headers = _sender.Headers();
        Assert.Equal(20, headers.Count);
        for (var i = 1; i < headers.Count; i++)
        {
            Assert.Equal((ushort)(headers[i - 1].Seq + 1), headers[i].Seq);
            Assert.True((int)(headers[i].Ts - headers[i - 1].Ts) > 0, $"timestamp went backwards at {i}");
            Assert.Equal(0xCAFEBABEu, headers[i].Ssrc);
        }
    }

    [Fact]
    public void Reordered_packets_keep_their_relative_order()
    {
        var (track, _, _) = Wire();
        Send(track, 96, 10, 0, 1);
        Send(track, 96, 12, 6000, 1);
        Send(track, 96, 11, 3000, 1);
        var headers = _sender.Headers();
        Assert.Equal((ushort)(headers[0].Seq + 2), headers[1].Seq);
        Assert.Equal((ushort)(headers[0].Seq + 1), headers[2].Seq);
        Assert.Equal(headers[0].Ts + 3000, headers[2].Ts);
    }

    [Fact]
    public void A_codec_the_receiver_did_not_offer_is_dropped_and_counted()
    {
        var (track, _, _) = Wire();
        Send(track, 97, 1, 0, 1); // H.264: the receiver named only VP8
        Assert.Empty(_sender.Sent);
        Assert.Equal(1, _metrics.Drops(DropReason.CodecMismatch));
    }

    [Fact]
    public void A_payload_type_the_sender_never_offered_is_dropped_and_counted()
    {
        var (track, _, _) = Wire();
        Send(track, 120, 1, 0, 1);
        Assert.Empty(_sender.Sent);
        Assert.Equal(1, _metrics.Drops(DropReason.CodecMismatch));
    }

    [Fact]
    public void After_the_sender_leaves_nothing_more_is_forwarded()
    {
        var (track, _, router) = Wire();
        Send(track, 96, 1, 0, 1);
        router.Detach(router.Parties.Single(p => p.ParticipantId == "kiosk"));
        Send(track, 96, 2, 3000, 1);
        Assert.Single(_sender.Sent);
    }
}
