namespace MediaServer.Codecs.Stun;

/// <summary>Sorts datagrams on one UDP port shared by STUN, DTLS and SRTP/SRTCP (RFC 7983 §7).</summary>
public static class PacketDemux
{
    /// <summary>
    /// RFC 7983 §7: the first byte alone decides — 0–3 STUN, 16–19 ZRTP, 20–63 DTLS, 64–79 TURN channel,
    /// 128–191 RTP/RTCP; anything else, and an empty datagram, is unknown and should be dropped.
    /// </summary>
    public static PacketKind Classify(ReadOnlySpan<byte> datagram)
    {
        if (datagram.IsEmpty)
        {
            return PacketKind.Unknown;
        }

        return datagram[0] switch
        {
            <= 3 => PacketKind.Stun,
            >= 16 and <= 19 => PacketKind.Zrtp,
            >= 20 and <= 63 => PacketKind.Dtls,
            >= 64 and <= 79 => PacketKind.TurnChannel,
            >= 128 and <= 191 => PacketKind.RtpOrRtcp,
            _ => PacketKind.Unknown,
        };
    }
}
