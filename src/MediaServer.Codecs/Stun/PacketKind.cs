namespace MediaServer.Codecs.Stun;

/// <summary>What arrived on the shared UDP port, by its first byte (RFC 7983 §7).</summary>
public enum PacketKind
{
    Unknown,

    /// <summary>First byte 0–3.</summary>
    Stun,

    /// <summary>First byte 16–19.</summary>
    Zrtp,

    /// <summary>First byte 20–63: a DTLS record's content type.</summary>
    Dtls,

    /// <summary>First byte 64–79: TURN ChannelData (RFC 8656 §12.4).</summary>
    TurnChannel,

    /// <summary>First byte 128–191: RTP version 2; tell RTCP apart with <c>RtpDemux.IsRtcp</c> (RFC 5761 §4).</summary>
    RtpOrRtcp,
}
