namespace MediaServer.Codecs.Rtp;

/// <summary>One RFC 8285 header extension element: its local identifier and its data.</summary>
public readonly ref struct RtpHeaderExtension
{
    public RtpHeaderExtension(int id, ReadOnlySpan<byte> data)
    {
        Id = id;
        Data = data;
    }

    /// <summary>Local identifier: 1..14 in the one-byte form, 1..255 in the two-byte form.</summary>
    public int Id { get; }

    public ReadOnlySpan<byte> Data { get; }
}
