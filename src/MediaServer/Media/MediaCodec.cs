namespace MediaServer.Media;

public enum MediaKind
{
    Audio,
    Video,
}

/// <summary>The codecs the relay forwards. It never transcodes, so a receiver gets only what it offered.</summary>
public enum MediaCodec : byte
{
    None = 0,
    Vp8 = 1,
    H264 = 2,
    Opus = 3,
}

public static class MediaCodecs
{
    /// <summary>Marks "no payload type" in the per-slot maps.</summary>
    public const byte NoPayloadType = 255;

    public const int Count = 4;

    public static MediaKind KindOf(MediaCodec codec) => codec == MediaCodec.Opus ? MediaKind.Audio : MediaKind.Video;

    public static int ClockRate(MediaCodec codec) => codec == MediaCodec.Opus ? 48000 : 90000;

    /// <summary>The rtpmap encoding name we answer with (RFC 7587, RFC 7741, RFC 6184).</summary>
    public static string EncodingName(MediaCodec codec) => codec switch
    {
        MediaCodec.Vp8 => "VP8",
        MediaCodec.H264 => "H264",
        MediaCodec.Opus => "opus",
        _ => "",
    };

    public static string Describe(MediaCodec codec) => codec switch
    {
        MediaCodec.Vp8 => "VP8/90000",
        MediaCodec.H264 => "H264/90000 (packetization-mode=1)",
        MediaCodec.Opus => "opus/48000/2",
        _ => "none",
    };
}
