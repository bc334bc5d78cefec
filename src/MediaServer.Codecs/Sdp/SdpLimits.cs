namespace MediaServer.Codecs.Sdp;

/// <summary>
/// Bounds on what the parser accepts. An offer arrives from the network; these keep a hostile one from costing more
/// than a few hundred microseconds. The defaults fit a Chromium offer with audio, video and data (about 8 KB,
/// 200 lines, 100+ attributes on the video m-line) many times over. Pass a modified copy to
/// <see cref="SdpParser.Parse(string?, SdpLimits?)"/> to tighten or loosen them.
/// </summary>
public sealed record SdpLimits
{
    public const int DefaultMaxLength = 64 * 1024;
    public const int DefaultMaxLines = 4096;
    public const int DefaultMaxLineLength = 4096;
    public const int DefaultMaxMediaDescriptions = 32;
    public const int DefaultMaxAttributesPerSection = 512;
    public const int DefaultMaxFormatsPerMedia = 128;

    /// <summary>Ports are 16-bit (RFC 8866 §5.14).</summary>
    public const int MaxPort = 65535;

    /// <summary>RTP payload types are 7-bit (RFC 3550 §5.1).</summary>
    public const int MaxPayloadType = 127;

    public static SdpLimits Default { get; } = new();

    /// <summary>Total characters of SDP text.</summary>
    public int MaxLength { get; init; } = DefaultMaxLength;

    /// <summary>Lines, counting blank ones.</summary>
    public int MaxLines { get; init; } = DefaultMaxLines;

    /// <summary>Characters in one line, without its line ending.</summary>
    public int MaxLineLength { get; init; } = DefaultMaxLineLength;

    /// <summary>m= lines.</summary>
    public int MaxMediaDescriptions { get; init; } = DefaultMaxMediaDescriptions;

    /// <summary>a= lines at session level, and separately in each media description.</summary>
    public int MaxAttributesPerSection { get; init; } = DefaultMaxAttributesPerSection;

    /// <summary>Formats (payload types) on one m= line.</summary>
    public int MaxFormatsPerMedia { get; init; } = DefaultMaxFormatsPerMedia;
}
