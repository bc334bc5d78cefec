namespace MediaServer.Codecs.Payload;

/// <summary>The VP8 payload descriptor that starts every VP8 RTP payload (RFC 7741 §4.2).</summary>
public readonly struct Vp8PayloadDescriptor
{
    internal Vp8PayloadDescriptor(
        int length, byte first, byte extension, int pictureId, bool longPictureId, byte tl0PicIdx, byte tidYKeyIdx)
    {
        Length = length;
        _first = first;
        _extension = extension;
        PictureId = pictureId;
        HasLongPictureId = longPictureId;
        Tl0PicIdx = tl0PicIdx;
        _tidYKeyIdx = tidYKeyIdx;
    }

    private readonly byte _first;
    private readonly byte _extension;
    private readonly byte _tidYKeyIdx;

    /// <summary>Bytes the descriptor occupies; the VP8 payload follows.</summary>
    public int Length { get; }

    /// <summary>X: the extension octet is present.</summary>
    public bool HasExtension => (_first & 0x80) != 0;

    /// <summary>N: the frame can be discarded without affecting others.</summary>
    public bool IsNonReference => (_first & 0x20) != 0;

    /// <summary>S: this packet starts a VP8 partition.</summary>
    public bool IsStartOfPartition => (_first & 0x10) != 0;

    /// <summary>PID: the partition index (0..7).</summary>
    public int PartitionIndex => _first & 0x07;

    /// <summary>I: a PictureID is present.</summary>
    public bool HasPictureId => (_extension & 0x80) != 0;

    /// <summary>The PictureID (7 or 15 bits); -1 when absent.</summary>
    public int PictureId { get; }

    /// <summary>M: the PictureID is 15 bits rather than 7.</summary>
    public bool HasLongPictureId { get; }

    /// <summary>L: TL0PICIDX is present.</summary>
    public bool HasTl0PicIdx => (_extension & 0x40) != 0;

    public byte Tl0PicIdx { get; }

    /// <summary>T: TID and Y are present.</summary>
    public bool HasTemporalLayerId => (_extension & 0x20) != 0;

    /// <summary>TID: the temporal layer index (meaningful when <see cref="HasTemporalLayerId"/>).</summary>
    public int TemporalLayerId => _tidYKeyIdx >> 6;

    /// <summary>Y: this frame depends only on the base layer (layer sync).</summary>
    public bool IsLayerSync => (_tidYKeyIdx & 0x20) != 0;

    /// <summary>K: KEYIDX is present.</summary>
    public bool HasKeyIndex => (_extension & 0x10) != 0;

    /// <summary>KEYIDX: the temporal key frame index (meaningful when <see cref="HasKeyIndex"/>).</summary>
    public int KeyIndex => _tidYKeyIdx & 0x1F;
}
