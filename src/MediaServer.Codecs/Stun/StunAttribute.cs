namespace MediaServer.Codecs.Stun;

/// <summary>One attribute of a parsed message: its type, its value (padding excluded) and where its header starts.</summary>
public readonly ref struct StunAttribute
{
    internal StunAttribute(StunAttributeType type, ReadOnlySpan<byte> value, int offset)
    {
        Type = type;
        Value = value;
        Offset = offset;
    }

    public StunAttributeType Type { get; }

    /// <summary>The value, exactly as long as the attribute's length field says (RFC 8489 §14).</summary>
    public ReadOnlySpan<byte> Value { get; }

    /// <summary>Offset of the attribute's 4-byte type/length header from the start of the message.</summary>
    public int Offset { get; }

    /// <summary>RFC 8489 §14: types 0x0000–0x7FFF must be understood, or the request is refused with 420.</summary>
    public bool IsComprehensionRequired => (ushort)Type < 0x8000;
}
