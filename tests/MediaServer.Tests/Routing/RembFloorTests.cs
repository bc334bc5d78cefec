using MediaServer.Codecs.Rtcp;
using MediaServer.Media;
using MediaServer.Metrics;
using MediaServer.Routing;

namespace MediaServer.Tests.Routing;

/// <summary>
/// The estimate passed to a sender (draft-alvestrand-rmcat-remb §2) has a floor, and a higher one while the sender's track is
/// recorded: one receiver's 1 kbit/s REMB cannot starve the other receivers, the taps or the recording.
/// </summary>
public sealed class RembFloorTests
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

    private ulong? PassedOn(FeedbackPolicy policy, params ulong[] estimates)
    {
        var map = new MediaCodec[128];
        map[96] = MediaCodec.Vp8;
        var senderChannel = new CapturingChannel();
        var counters = new PartyCounters(0);
        var track = new Track("kiosk", MediaKind.Video, map, counters, _metrics) { Rtcp = senderChannel, Feedback = policy };
        var router = new VisitRouter("v");
        var kiosk = new RouterParty("kiosk", true, track, null, [], [], counters);
        router.Attach(kiosk);
        var slots = new List<ReceiverSlot>();
        for (var i = 0; i < estimates.Length; i++)
        {
            var slot = new ReceiverSlot("visitor" + i, MediaKind.Video, 0, [255, 96, 255, 255], (uint)(0xA0 + i), new RecordingSender(),
                new PartyCounters(0), _metrics);
            router.Attach(new RouterParty("visitor" + i, false, null, null, [slot], [], new PartyCounters(0)));
            slots.Add(slot);
        }
        var packet = Packets.Rtp(96, 1, 0, 0x1111);
        track.OnRtp(packet, Packets.Info(packet));
        var remb = new byte[64];
        for (var i = 0; i < estimates.Length; i++)
        {
            slots[i].OnRtcp(remb.AsSpan(0, RtcpRemb.Write(remb, 1, estimates[i], [slots[i].Ssrc])));
        }

        RtcpReporter.Report(kiosk, DateTimeOffset.UtcNow);

        var reader = new RtcpCompoundReader(Assert.Single(senderChannel.Sent));
        ulong? forwarded = null;
        while (reader.MoveNext())
        {
            if (RtcpRemb.TryParse(reader.Current.Span, out var parsed))
            {
                Assert.Equal(0x1111u, parsed.GetSsrc(0));
                forwarded = parsed.Bitrate;
            }
        }
        return forwarded;
    }

    [Fact]
    public void A_visitors_one_kilobit_remb_reaches_the_sender_as_the_floor()
    {
        var passed = PassedOn(FeedbackPolicy.Default, 1_000, 2_000_000);
        Assert.NotNull(passed);
        Assert.InRange(passed.Value, 149_000UL, 150_000UL);
    }

    [Fact]
    public void Estimates_above_the_floor_pass_unchanged()
    {
        var passed = PassedOn(FeedbackPolicy.Default, 900_000, 400_000);
        Assert.InRange(passed!.Value, 399_000UL, 400_000UL);
    }

    [Fact]
    public void The_floor_is_configurable()
    {
        var policy = new FeedbackPolicy(new RelayOptions { MinRembBitrate = 500_000 });
        var passed = PassedOn(policy, 1_000);
        Assert.InRange(passed!.Value, 499_000UL, 500_000UL);
    }

    [Fact]
    public void While_recorded_the_recording_floor_applies()
    {
        var policy = FeedbackPolicy.Default;
        Assert.Equal(300_000, policy.RembFor(1_000, recorded: true));
        Assert.Equal(150_000, policy.RembFor(1_000, recorded: false));
        Assert.Equal(2_000_000, policy.RembFor(2_000_000, recorded: true));
        // A recording floor set below the general floor never lowers it.
        var low = new FeedbackPolicy(new RelayOptions { RecordingMinRembBitrate = 50_000 });
        Assert.Equal(150_000, low.RembFor(1_000, recorded: true));
    }
}
