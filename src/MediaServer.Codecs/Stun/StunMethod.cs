namespace MediaServer.Codecs.Stun;

/// <summary>
/// A STUN method: the 12 M bits of the message type (RFC 8489 §5, §18.2). Only Binding is used by ICE; any other
/// 12-bit value can still be carried by casting.
/// </summary>
public enum StunMethod : ushort
{
    Binding = 0x001,
}
