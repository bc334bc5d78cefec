using MediaServer.Testing.Sdp;

namespace MediaServer.Testing.Rtp;

/// <summary>
/// An officer's plain-RTP tap made of C# sockets: a receive-only offer with one video and one audio m-line per party
/// (docs/api.md), and a receiver on each m-line's port, so a test can see which party each slot carries and when packets stop.
/// </summary>
public sealed class RtpTap : IAsyncDisposable
{
    public RtpTap(int parties)
    {
        Offer = new PlainRtpOffer();
        var video = new List<RtpReceiver>();
        var audio = new List<RtpReceiver>();
        for (var i = 0; i < parties; i++)
        {
            var videoPort = PortAllocator.FreeClientRtpPair();
            Offer.AddVideo(videoPort, MediaDirection.RecvOnly, VideoCodec.Vp8);
            video.Add(new RtpReceiver(videoPort));
            var audioPort = PortAllocator.FreeClientRtpPair();
            Offer.AddAudio(audioPort, MediaDirection.RecvOnly);
            audio.Add(new RtpReceiver(audioPort));
        }
        Video = video;
        Audio = audio;
        OfferSdp = Offer.Build();
    }

    public PlainRtpOffer Offer { get; }

    public string OfferSdp { get; }

    /// <summary>One receiver per party, in slot order (kiosk first, then visitors in join order).</summary>
    public IReadOnlyList<RtpReceiver> Video { get; }

    public IReadOnlyList<RtpReceiver> Audio { get; }

    public IEnumerable<RtpReceiver> All => Video.Concat(Audio);

    public string? Location { get; set; }

    public long RtpCount => All.Sum(r => r.RtpCount);

    /// <summary>The arrival time (Stopwatch ticks) of the last RTP packet on any slot; 0 when none came.</summary>
    public long LastArrival => All.Select(r => r.LastPacket?.ArrivalTimestamp ?? 0).DefaultIfEmpty(0).Max();

    public override string ToString() => $"tap: video [{string.Join("; ", Video)}], audio [{string.Join("; ", Audio)}]";

    public async ValueTask DisposeAsync()
    {
        foreach (var receiver in All)
        {
            await receiver.DisposeAsync();
        }
    }
}
