namespace MediaServer.Codecs.Rtp;

/// <summary>Tells RTP from RTCP when both share one port (rtcp-mux).</summary>
public static class RtpDemux
{
    /// <summary>
    /// RFC 5761 §4: RTCP packet types 192..223 occupy the second byte where RTP has marker and payload type, and RTP
    /// payload types 64..95 are avoided under rtcp-mux, so a second byte in 192..223 means RTCP.
    /// </summary>
    public static bool IsRtcp(ReadOnlySpan<byte> datagram) => datagram.Length >= 2 && datagram[1] is >= 192 and <= 223;
}
