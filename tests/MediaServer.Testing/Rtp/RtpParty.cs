using System.Net;
using MediaServer.Testing.Sdp;

namespace MediaServer.Testing.Rtp;

/// <summary>
/// A plain-RTP party made of C# sockets (no FFmpeg): offers VP8 + Opus sendrecv, receives on its offered ports, and
/// sends paced packets whose payload names the party, for packet-level tests (drops, terminate, scheduled end).
/// </summary>
public sealed class RtpParty : IAsyncDisposable
{
    public const int VideoPacketsPerSecond = 30;
    public const int AudioPacketsPerSecond = 50;

    private readonly int _seed;

    /// <param name="offerAddress">The c= address the offer names (default 127.0.0.1, where the party's sockets are).</param>
    /// <param name="videoFeedback">rtcp-fb values the video m-line asks for (e.g. "nack"); none by default, as FFmpeg.</param>
    /// <param name="symmetric">Send each stream from the port it is received on (symmetric RTP, RFC 4961), not from ports of its own.</param>
    public RtpParty(string name, int partyNumber, string offerAddress = "127.0.0.1", string[]? videoFeedback = null, bool symmetric = false)
    {
        Name = name;
        Symmetric = symmetric;
        _seed = partyNumber;
        Offer = new PlainRtpOffer(offerAddress)
            .AddVideo(PortAllocator.FreeClientRtpPair(), MediaDirection.SendRecv, VideoCodec.Vp8)
            .WithFeedback(videoFeedback ?? [])
            .AddAudio(PortAllocator.FreeClientRtpPair());
        OfferSdp = Offer.Build();
        VideoIn = new RtpReceiver(Offer.Media[0].Port);
        AudioIn = new RtpReceiver(Offer.Media[1].Port);
        VideoSourcePort = PortAllocator.FreeClientRtpPair();
        AudioSourcePort = PortAllocator.FreeClientRtpPair();
        VideoSsrc = 0xC0DE0000u + (uint)(partyNumber * 2);
        AudioSsrc = VideoSsrc + 1;
    }

    public string Name { get; }

    /// <summary>Sends from its receive ports (symmetric RTP).</summary>
    public bool Symmetric { get; }

    public PlainRtpOffer Offer { get; }

    public string OfferSdp { get; }

    public RtpReceiver VideoIn { get; }

    public RtpReceiver AudioIn { get; }

    public int VideoSourcePort { get; }

    public int AudioSourcePort { get; }

    public uint VideoSsrc { get; }

    public uint AudioSsrc { get; }

    public RtpSender? VideoOut { get; private set; }

    public RtpSender? AudioOut { get; private set; }

    /// <summary>The server's video RTP port for this party, from the answer.</summary>
    public IPEndPoint? ServerVideo { get; private set; }

    /// <summary>The server's audio RTP port for this party, from the answer.</summary>
    public IPEndPoint? ServerAudio { get; private set; }

    /// <summary>A byte that fills this party's payloads, so a receiver can tell whose packets it got.</summary>
    public byte Fill => (byte)(0x40 + _seed);

    /// <summary>Starts paced VP8-like video and Opus-like audio to the answer's first video and audio m-lines.</summary>
    public void StartSending(string answerSdp)
    {
        var answer = SdpDescription.Parse(answerSdp);
        var video = answer.Media.First(m => m.Kind == "video");
        var audio = answer.Media.First(m => m.Kind == "audio");
        ServerVideo = new IPEndPoint(IPAddress.Parse(video.ConnectionAddress ?? "127.0.0.1"), video.Port);
        ServerAudio = new IPEndPoint(IPAddress.Parse(audio.ConnectionAddress ?? "127.0.0.1"), audio.Port);
        var fill = Fill;
        var videoType = (byte)(video.PayloadTypeOf("VP8") ?? 96);
        var audioType = (byte)(audio.PayloadTypeOf("opus") ?? 111);
        VideoOut = Symmetric
            ? new RtpSender(ServerVideo, VideoSsrc, videoType, VideoIn.RtpSocket, _seed * 7)
            : new RtpSender(ServerVideo, VideoSsrc, videoType, VideoSourcePort, _seed * 7);
        AudioOut = Symmetric
            ? new RtpSender(ServerAudio, AudioSsrc, audioType, AudioIn.RtpSocket, (_seed * 7) + 1)
            : new RtpSender(ServerAudio, AudioSsrc, audioType, AudioSourcePort, (_seed * 7) + 1);
        // RFC 3551: 90 kHz video clock at 30 fps, 48 kHz Opus clock in 20 ms packets (RFC 7587 §4.1).
        VideoOut.StartPacing(VideoPacketsPerSecond, n => RtpSender.Vp8Payload(n, fill: fill), 3000);
        AudioOut.StartPacing(AudioPacketsPerSecond, n => RtpSender.OpusPayload(n, fill: fill), 960);
    }

    public async Task StopSendingAsync()
    {
        if (VideoOut is not null)
        {
            await VideoOut.StopPacingAsync();
        }

        if (AudioOut is not null)
        {
            await AudioOut.StopPacingAsync();
        }
    }

    /// <summary>The last RTP packet that reached any of this party's receive ports.</summary>
    public ReceivedPacket? LastPacketIn =>
        new[] { VideoIn.LastPacket, AudioIn.LastPacket }.Where(p => p is not null).MaxBy(p => p!.ArrivalTimestamp);

    public override string ToString() =>
        $"{Name}: sent video {VideoOut?.PacketsSent ?? 0}, audio {AudioOut?.PacketsSent ?? 0}; received video {VideoIn}, audio {AudioIn}";

    public async ValueTask DisposeAsync()
    {
        if (VideoOut is not null)
        {
            await VideoOut.DisposeAsync();
        }

        if (AudioOut is not null)
        {
            await AudioOut.DisposeAsync();
        }

        await VideoIn.DisposeAsync();
        await AudioIn.DisposeAsync();
    }
}
