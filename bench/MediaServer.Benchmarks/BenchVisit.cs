using MediaServer.Media;
using MediaServer.Metrics;
using MediaServer.Routing;

namespace MediaServer.Benchmarks;

/// <summary>The visit the relay benchmarks route through: a kiosk's VP8 track (PT 96) and receivers mapping VP8 to PT 100.</summary>
internal static class BenchVisit
{
    public static Track KioskTrack(VisitRouter router, RelayMetrics metrics)
    {
        var codecByPayloadType = new MediaCodec[128];
        codecByPayloadType[96] = MediaCodec.Vp8;
        var senderCounters = new PartyCounters(0);
        var track = new Track("kiosk", MediaKind.Video, codecByPayloadType, senderCounters, metrics);
        router.Attach(new RouterParty("kiosk", isKiosk: true, track, null, [], [], senderCounters));
        return track;
    }

    public static void AttachReceiver(VisitRouter router, int index, IRtpSender sender, RelayMetrics metrics)
    {
        var payloadTypes = new byte[MediaCodecs.Count];
        Array.Fill(payloadTypes, MediaCodecs.NoPayloadType);
        payloadTypes[(int)MediaCodec.Vp8] = 100;
        var counters = new PartyCounters(0);
        var id = "visitor" + index;
        var slot = new ReceiverSlot(id, MediaKind.Video, 0, payloadTypes, (uint)(0x1000 + index), sender, counters, metrics);
        router.Attach(new RouterParty(id, isKiosk: false, null, null, [slot], [], counters));
    }
}
