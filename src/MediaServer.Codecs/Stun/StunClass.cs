namespace MediaServer.Codecs.Stun;

/// <summary>The class of a STUN message: the C1 and C0 bits of the message type (RFC 8489 §5).</summary>
public enum StunClass
{
    Request = 0b00,
    Indication = 0b01,
    SuccessResponse = 0b10,
    ErrorResponse = 0b11,
}
