using System.Buffers.Binary;
using Concentus;
using MediaServer.Codecs.Recording.Containers;
using MediaServer.Codecs.Rtp;

namespace MediaServer.Recording.Review;

/// <summary>
/// Decodes one Opus track (Concentus) into a 48 kHz mono WAV that spans the whole review timeline: each packet's audio
/// lands where its time puts it, silence fills what never arrived, and an isolated loss of up to 120 ms is concealed with
/// Opus PLC (RFC 6716 §4.4) rather than a click of silence.
/// </summary>
internal sealed class AudioTrackWriter : TrackSink
{
    public const int SampleRate = 48000;

    /// <summary>RFC 6716 §3.2.5: the longest Opus packet, and the most a concealment is asked to cover.</summary>
    private const int MaxPacketSamples = 5760;

    /// <summary>Audio stays continuous while it is within this of its time; beyond it, silence is inserted or audio cut.</summary>
    private const int DriftToleranceSamples = 960;

    private readonly FileStream _file;
    private readonly IOpusDecoder _decoder = OpusCodecFactory.CreateDecoder(SampleRate, 1);
    private readonly short[] _pcm = new short[MaxPacketSamples];
    private readonly byte[] _bytes = new byte[MaxPacketSamples * 2];
    private readonly long _start;
    private readonly long _totalSamples;
    private long _written;
    private long _lastSequence = long.MinValue;

    public AudioTrackWriter(TrackTimeline timeline, string path, long startMicroseconds, long endMicroseconds)
        : base(timeline)
    {
        Path = path;
        _start = startMicroseconds;
        _totalSamples = SamplesAt(endMicroseconds);
        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        _file.Write(new byte[WavFormat.HeaderLength]);
    }

    public static bool Supports(string codec) => codec == "opus";

    public string Path { get; }

    public long PacketsDecoded { get; private set; }

    public long PacketsUndecodable { get; private set; }

    public long SamplesConcealed { get; private set; }

    private long SamplesAt(long wallMicroseconds) => (wallMicroseconds - _start) * SampleRate / 1_000_000;

    protected override void BeginSegment(int segment)
    {
        _decoder.ResetState();
        _lastSequence = long.MinValue;
    }

    protected override void Release(byte[] datagram, PacketTiming timing)
    {
        if (timing.ExtendedSequence <= _lastSequence || !RtpPacket.TryParse(datagram, out var packet) || packet.Payload.IsEmpty)
        {
            return;
        }

        bool lost = _lastSequence != long.MinValue && timing.ExtendedSequence > _lastSequence + 1;
        _lastSequence = timing.ExtendedSequence;
        long target = SamplesAt(timing.WallMicroseconds);
        if (lost)
        {
            Conceal(target - _written);
        }

        int decoded;
        try
        {
            decoded = _decoder.Decode(packet.Payload, _pcm, MaxPacketSamples, false);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IndexOutOfRangeException or OpusException)
        {
            PacketsUndecodable++;
            return;
        }

        if (decoded <= 0)
        {
            PacketsUndecodable++;
            return;
        }

        PacketsDecoded++;
        long drift = target - _written;
        int skip = 0;
        if (drift > DriftToleranceSamples)
        {
            WriteSilence(drift);
        }
        else if (drift < -DriftToleranceSamples)
        {
            skip = (int)Math.Min(decoded, -drift); // this much was already placed: keep the timeline, not the overlap
        }

        WriteSamples(_pcm.AsSpan(skip, decoded - skip));
    }

    /// <summary>Missing packets shorter than one Opus packet's worth are rebuilt by the decoder in 10 ms steps.</summary>
    private void Conceal(long missing)
    {
        if (missing <= 0 || missing > MaxPacketSamples)
        {
            return;
        }

        int samples = (int)(missing / 480 * 480);
        if (samples == 0)
        {
            return;
        }

        try
        {
            int got = _decoder.Decode(ReadOnlySpan<byte>.Empty, _pcm, samples, false);
            if (got > 0)
            {
                WriteSamples(_pcm.AsSpan(0, got));
                SamplesConcealed += got;
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or OpusException)
        {
            PacketsUndecodable++;
        }
    }

    private void WriteSilence(long samples)
    {
        samples = Math.Min(samples, _totalSamples - _written);
        Array.Clear(_bytes);
        while (samples > 0)
        {
            int n = (int)Math.Min(samples, MaxPacketSamples);
            _file.Write(_bytes, 0, n * 2);
            _written += n;
            samples -= n;
        }
    }

    private void WriteSamples(ReadOnlySpan<short> samples)
    {
        int n = (int)Math.Min(samples.Length, Math.Max(0, _totalSamples - _written));
        for (int i = 0; i < n; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(_bytes.AsSpan(i * 2), samples[i]);
        }

        _file.Write(_bytes, 0, n * 2);
        _written += n;
    }

    protected override void Complete()
    {
        WriteSilence(_totalSamples - _written);
        _file.Flush();
        _file.Position = 0;
        var header = new byte[WavFormat.HeaderLength];
        WavFormat.WriteHeader(header, SampleRate, 1, _written * 2);
        _file.Write(header);
        _file.Flush();
    }

    public override void Dispose() => _file.Dispose();

    /// <summary>A WAV of silence for the whole timeline, for a visit with no audio at all.</summary>
    public static void WriteSilence(string path, long startMicroseconds, long endMicroseconds)
    {
        long samples = (endMicroseconds - startMicroseconds) * SampleRate / 1_000_000;
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
        var header = new byte[WavFormat.HeaderLength];
        WavFormat.WriteHeader(header, SampleRate, 1, samples * 2);
        file.Write(header);
        file.SetLength(WavFormat.HeaderLength + (samples * 2));
    }
}
