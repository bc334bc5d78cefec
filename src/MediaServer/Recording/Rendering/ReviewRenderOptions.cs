namespace MediaServer.Recording.Rendering;

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

    /// <summary>FFmpeg's encoder threads; 0 lets FFmpeg choose (all cores).</summary>
    public int Threads { get; set; }
}
