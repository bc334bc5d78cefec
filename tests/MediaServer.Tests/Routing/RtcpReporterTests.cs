using MediaServer.Codecs.Rtcp;
using MediaServer.Media;
using MediaServer.Metrics;
using MediaServer.Routing;

namespace MediaServer.Tests.Routing;

public sealed class RtcpReporterTests
{
    private sealed class CapturingChannel : IRtcpChannel
    {
        public uint RtcpSsrc => 0xFEED;

        public List<byte[]> Sent { get; } = [];

        public bool SendRtcp(ReadOnlySpan<byte> compound)
        {
            Sent.Add(compound.ToArray());
            return true;
        }
    }

    private readonly RelayMetrics _metrics = new();

    [Fact]
    public void A_slot_that_carried_media_gets_a_sender_report_and_a_track_a_receiver_report()
    {
        var map = new MediaCodec[128];
        map[96] = MediaCodec.Vp8;
        var senderChannel = new CapturingChannel();
        var receiverChannel = new CapturingChannel();
        var counters = new PartyCounters(0);
        var track = new Track("kiosk", MediaKind.Video, map, counters, _metrics) { Rtcp = senderChannel };
        var slot = new ReceiverSlot("mum", MediaKind.Video, 0, [255, 96, 255, 255], 0xABCD, new RecordingSender(),
            new PartyCounters(0), _metrics) { Rtcp = receiverChannel };
        var router = new VisitRouter("v");
        var kiosk = new RouterParty("kiosk", true, track, null, [], [], counters);
        var mum = new RouterParty("mum", false, null, null, [slot], [], new PartyCounters(0));
        router.Attach(kiosk);
        router.Attach(mum);
        for (ushort i = 0; i < 10; i++)
        {
            if (i == 4)
            {
                continue; // one lost
            }
            var packet = Packets.Rtp(96, (ushort)(100 + i), 3000u * i, 0x1111, payloadLength: 200);
            track.OnRtp(packet, Packets.Info(packet));
        }

        RtcpReporter.Report(mum, DateTimeOffset.UtcNow);
        RtcpReporter.Report(kiosk, DateTimeOffset.UtcNow);

        var sr = Assert.Single(receiverChannel.Sent);
        Assert.True(RtcpCompoundReader.IsWellFormed(sr));
        Assert.True(RtcpSenderReport.TryParse(sr, out var report));
        Assert.Equal(0xABCDu, report.Ssrc);
        Assert.Equal(9u, report.PacketCount);
        Assert.Equal(9u * 200, report.OctetCount);

        var rr = Assert.Single(senderChannel.Sent);
        Assert.True(RtcpReceiverReport.TryParse(rr, out var receiverReport));
        var block = receiverReport.GetReportBlock(0);
        Assert.Equal(0x1111u, block.Ssrc);
        Assert.Equal(1, block.CumulativeLost);
        Assert.Equal(109u, block.ExtendedHighestSequenceNumber);
        Assert.Equal((byte)(256 / 10), block.FractionLost);
    }

    [Fact]
    public void The_lowest_receiver_estimate_is_passed_to_the_sender_as_remb()
    {
        var map = new MediaCodec[128];
        map[96] = MediaCodec.Vp8;
        var senderChannel = new CapturingChannel();
        var counters = new PartyCounters(0);
        var track = new Track("kiosk", MediaKind.Video, map, counters, _metrics) { Rtcp = senderChannel };
        ReceiverSlot Slot(string owner, uint ssrc) => new(owner, MediaKind.Video, 0, [255, 96, 255, 255], ssrc, new RecordingSender(),
            new PartyCounters(0), _metrics);
        var first = Slot("mum", 0xA);
        var second = Slot("dad", 0xB);
        var router = new VisitRouter("v");
        var kiosk = new RouterParty("kiosk", true, track, null, [], [], counters);
        router.Attach(kiosk);
        router.Attach(new RouterParty("mum", false, null, null, [first], [], new PartyCounters(0)));
        router.Attach(new RouterParty("dad", false, null, null, [second], [], new PartyCounters(0)));
        var packet = Packets.Rtp(96, 1, 0, 0x1111);
        track.OnRtp(packet, Packets.Info(packet));
        var remb = new byte[64];
        first.OnRtcp(remb.AsSpan(0, RtcpRemb.Write(remb, 1, 900_000, [0xAu])));
        second.OnRtcp(remb.AsSpan(0, RtcpRemb.Write(remb, 2, 300_000, [0xBu])));

        RtcpReporter.Report(kiosk, DateTimeOffset.UtcNow);

        var compound = Assert.Single(senderChannel.Sent);
        var reader = new RtcpCompoundReader(compound);
        ulong? forwarded = null;
        while (reader.MoveNext())
        {
            if (RtcpRemb.TryParse(reader.Current.Span, out var parsed))
            {
                Assert.Equal(0x1111u, parsed.GetSsrc(0));
                forwarded = parsed.Bitrate;
            }
        }
        Assert.NotNull(forwarded);
        Assert.InRange(forwarded.Value, 299_000UL, 300_000UL);
    }

    [Fact]
    public void Ntp_time_counts_from_1900()
    {
        var ntp = RtcpReporter.NtpTimestamp(DateTimeOffset.UnixEpoch.AddSeconds(1.5));
        Assert.Equal(2_208_988_801UL, ntp >> 32);
        Assert.Equal(1UL << 31, ntp & 0xFFFFFFFF);
    }
}
