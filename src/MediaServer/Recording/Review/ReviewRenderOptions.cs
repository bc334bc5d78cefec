namespace MediaServer.Recording.Review;

/// <summary>How the review copy is drawn and encoded (docs/recording-review-copy.md).</summary>
public sealed class ReviewRenderOptions
{
    /// <summary>Folder of the <c>ffmpeg</c> binary; empty means the one on PATH (Debian's /usr/bin/ffmpeg).</summary>
    public string FfmpegFolder { get; set; } = "";

    /// <summary>Each party's tile; the picture is as many tiles as parties, up to three a row.</summary>
    public int TileWidth { get; set; } = 640;

    public int TileHeight { get; set; } = 360;

    public int FramesPerSecond { get; set; } = 30;

    /// <summary>Font of the burned-in overlay (fonts-dejavu-core).</summary>
    public string FontFile { get; set; } = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

    /// <summary>libx264 preset: faster presets render sooner and make larger files.</summary>
    public string X264Preset { get; set; } = "veryfast";

    public int X264Crf { get; set; } = 23;

    /// <summary>FFmpeg's threads for each decoder, the filter graph and the encoder (at least 1): a render never takes every core.</summary>
    public int Threads { get; set; } = 2;

    /// <summary>Run FFmpeg at the lowest CPU and I/O priority (SCHED_IDLE where allowed, nice 19, idle I/O class), behind the live relay.</summary>
    public bool LowPriority { get; set; } = true;

    /// <summary>FFmpeg's wall-clock limit is this many times the media's length ...</summary>
    public double TimeLimitFactor { get; set; } = 2.0;

    /// <summary>... but at least this long; past the limit FFmpeg is killed and the attempt fails.</summary>
    public TimeSpan TimeLimitMinimum { get; set; } = TimeSpan.FromSeconds(60);
}
