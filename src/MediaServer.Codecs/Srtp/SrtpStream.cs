namespace MediaServer.Codecs.Srtp;

/// <summary>
/// The per-SSRC part of a crypto context (RFC 3711 §3.2.3): the sender's highest index (hence its ROC) and SRTCP
/// index, the receiver's replay windows. Made once per SSRC, then only mutated.
/// </summary>
internal sealed class SrtpStream(uint ssrc, int replayWindowSize)
{
    public uint Ssrc { get; } = ssrc;

    /// <summary>Outgoing RTP: false until the first packet is protected.</summary>
    public bool HasSentRtp { get; set; }

    /// <summary>Outgoing RTP: the highest index protected; its top 32 bits are the ROC (RFC 3711 §3.3.1).</summary>
    public ulong HighestSentIndex { get; set; }

    /// <summary>Outgoing RTCP: the SRTCP index of the next packet, from 0 (RFC 3711 §3.4).</summary>
    public uint NextSrtcpIndex { get; set; }

    /// <summary>Incoming RTP: highest index (hence ROC and s_l) and replay bitmap.</summary>
    public ReplayWindow RtpWindow { get; } = new(replayWindowSize);

    /// <summary>Incoming RTCP: highest SRTCP index and replay bitmap.</summary>
    public ReplayWindow RtcpWindow { get; } = new(replayWindowSize);
}
