using MediaServer.Testing.Sdp;
using Xunit.Abstractions;

namespace MediaServer.Testing.Ffmpeg;

/// <summary>Everything one party received: one recording per offered slot.</summary>
public sealed record PeerRecording(string Party, IReadOnlyList<SlotRecording> Slots)
{
    public IEnumerable<SlotRecording> Video => Slots.Where(s => s.Media.Kind == "video");

    public IEnumerable<SlotRecording> Audio => Slots.Where(s => s.Media.Kind == "audio");

    public override string ToString() => $"{Party} received:\n  " + string.Join("\n  ", Slots);
}

/// <summary>
/// One plain-RTP party played by FFmpeg: it offers a sendrecv video+audio pair (plus a recvonly pair per further party),
/// listens on every offered port with FFmpeg receivers started BEFORE anyone sends, and sends its own test pattern and
/// tone to the ports in the server's answer from fixed source ports.
/// </summary>
public sealed class FfmpegPeer : IAsyncDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly string _directory;
    private readonly List<FfmpegSlotReceiver> _receivers = [];
    private FfmpegSender? _sender;

    /// <param name="partyNumber">Makes the SSRCs distinct per party (1, 2, 3...).</param>
    /// <param name="otherParties">How many parties this one should receive: one sendrecv pair plus a recvonly pair per extra.</param>
    public FfmpegPeer(string name, PartyMedia media, VideoCodec codec, int partyNumber, int otherParties, string workDirectory, ITestOutputHelper output)
    {
        Name = name;
        Media = media;
        Codec = codec;
        _output = output;
        _directory = Path.Combine(workDirectory, name);
        Directory.CreateDirectory(_directory);
        VideoSsrc = 0x5EED0000u + (uint)(partyNumber * 2);
        AudioSsrc = VideoSsrc + 1;

        Offer = new PlainRtpOffer();
        Offer.AddVideo(PortAllocator.FreeClientRtpPair(), MediaDirection.SendRecv, codec);
        Offer.AddAudio(PortAllocator.FreeClientRtpPair());
        for (var i = 1; i < otherParties; i++)
        {
            Offer.AddVideo(PortAllocator.FreeClientRtpPair(), MediaDirection.RecvOnly, codec);
            Offer.AddAudio(PortAllocator.FreeClientRtpPair(), MediaDirection.RecvOnly);
        }

        OfferSdp = Offer.Build();
        VideoSourcePort = PortAllocator.FreeClientRtpPair();
        AudioSourcePort = PortAllocator.FreeClientRtpPair();
    }

    public string Name { get; }

    public PartyMedia Media { get; }

    public VideoCodec Codec { get; }

    public PlainRtpOffer Offer { get; }

    public string OfferSdp { get; }

    public uint VideoSsrc { get; }

    public uint AudioSsrc { get; }

    public int VideoSourcePort { get; }

    public int AudioSourcePort { get; }

    /// <summary>Frames this party's sender encodes (0 before <see cref="StartSending"/>).</summary>
    public int VideoFramesSent => _sender?.VideoFrames ?? 0;

    public async Task StartReceiversAsync()
    {
        for (var slot = 0; slot < Offer.Media.Count; slot++)
        {
            _receivers.Add(await FfmpegSlotReceiver.StartAsync(Name, Offer, slot, _directory));
        }
    }

    /// <summary>Sends to the first video and first audio m-line of the answer (the sendrecv pair).</summary>
    public void StartSending(string answerSdp, TimeSpan duration)
    {
        var answer = SdpDescription.Parse(answerSdp);
        var video = answer.Media.FirstOrDefault(m => m.Kind == "video")
            ?? throw new InvalidOperationException($"The answer has no video m-line:\n{answerSdp}");
        var audio = answer.Media.FirstOrDefault(m => m.Kind == "audio")
            ?? throw new InvalidOperationException($"The answer has no audio m-line:\n{answerSdp}");
        var encoding = Codec == VideoCodec.Vp8 ? "VP8" : "H264";
        var videoPt = video.PayloadTypeOf(encoding)
            ?? throw new InvalidOperationException($"The answer's video m-line does not name {encoding}:\n{answerSdp}");
        var audioPt = audio.PayloadTypeOf("opus")
            ?? throw new InvalidOperationException($"The answer's audio m-line does not name opus:\n{answerSdp}");
        _sender = FfmpegSender.Start(
            Name,
            Media,
            Codec,
            new RtpTarget(video.ConnectionAddress ?? "127.0.0.1", video.Port, videoPt, VideoSsrc, VideoSourcePort),
            new RtpTarget(audio.ConnectionAddress ?? "127.0.0.1", audio.Port, audioPt, AudioSsrc, AudioSourcePort),
            duration);
    }

    public Task WaitUntilSentAsync(TimeSpan timeout) =>
        (_sender ?? throw new InvalidOperationException("Not sending")).WaitUntilDoneAsync(timeout);

    /// <summary>Ends every receiver (RTCP BYE once it has read all queued media) and reads back what each recorded.</summary>
    public async Task<PeerRecording> FinishReceivingAsync(TimeSpan timeout)
    {
        var slots = await Task.WhenAll(_receivers.Select(r => r.FinishAsync(timeout)));
        var recording = new PeerRecording(Name, slots);
        _output.WriteLine(recording.ToString());
        return recording;
    }

    public void WriteDiagnostics()
    {
        if (_sender is not null)
        {
            _output.WriteLine(_sender.Process.Describe(maxLines: 40));
        }

        foreach (var receiver in _receivers)
        {
            _output.WriteLine(receiver.Process.Describe(maxLines: 40));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_sender is not null)
        {
            await _sender.DisposeAsync();
        }

        foreach (var receiver in _receivers)
        {
            await receiver.DisposeAsync();
        }

        try
        {
            WriteDiagnostics();
        }
        catch (InvalidOperationException)
        {
        }
    }
}
