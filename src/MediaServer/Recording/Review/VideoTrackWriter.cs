using MediaServer.Codecs.Payload;
using MediaServer.Codecs.Recording.Containers;

namespace MediaServer.Recording.Review;

/// <summary>
/// Writes one video track's frames to an IVF file with each frame's time on the review timeline in milliseconds, so
/// FFmpeg shows every frame at the moment it was captured, not at the moment it arrived.
/// </summary>
internal sealed class VideoTrackWriter : TrackSink
{
    private readonly FileStream _file;
    private readonly VideoDepacketizer _depacketizer;
    private readonly uint _fourCc;
    private readonly long _start;
    private readonly long _end;
    private readonly byte[] _header = new byte[IvfFormat.FileHeaderLength];
    private ushort _width;
    private ushort _height;
    private long _lastPts = -1;

    public VideoTrackWriter(TrackTimeline timeline, string path, long startMicroseconds, long endMicroseconds)
        : base(timeline)
    {
        Path = path;
        (_depacketizer, _fourCc) = timeline.Codec == "H264"
            ? ((VideoDepacketizer)new H264Depacketizer(), IvfFormat.FourCcH264)
            : (new Vp8Depacketizer(), IvfFormat.FourCcVp8);
        _start = startMicroseconds;
        _end = endMicroseconds;
        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        WriteHeader();
    }

    public static bool Supports(string codec) => codec is "VP8" or "H264";

    public string Path { get; }

    public int Frames { get; private set; }

    public long FramesDropped => _depacketizer.FramesDropped;

    public long PacketsLost => _depacketizer.PacketsLost;

    protected override void BeginSegment(int segment) => _depacketizer.Reset();

    protected override void Release(byte[] datagram, PacketTiming timing)
    {
        if (!_depacketizer.Push(datagram) || timing.WallMicroseconds > _end)
        {
            return;
        }

        var frame = _depacketizer.Frame;
        if (_width == 0 && Vp8Depacketizer.TryGetKeyframeSize(frame, out int width, out int height))
        {
            (_width, _height) = ((ushort)width, (ushort)height);
        }

        // The frame's time is its marker packet's: all packets of a frame carry one RTP timestamp.
        long pts = Math.Max(0, (timing.WallMicroseconds - _start + 500) / 1000);
        if (pts <= _lastPts)
        {
            pts = _lastPts + 1; // a new sender-report mapping may step back by a fraction of a millisecond
        }

        _lastPts = pts;
        Span<byte> frameHeader = stackalloc byte[IvfFormat.FrameHeaderLength];
        IvfFormat.WriteFrameHeader(frameHeader, frame.Length, pts);
        _file.Write(frameHeader);
        _file.Write(frame);
        Frames++;
    }

    protected override void Complete()
    {
        _file.Flush();
        _file.Position = 0;
        WriteHeader();
        _file.Flush();
    }

    private void WriteHeader()
    {
        IvfFormat.WriteFileHeader(_header, _fourCc, _width, _height, 1000, 1, (uint)Frames);
        _file.Write(_header);
    }

    public override void Dispose() => _file.Dispose();
}
