namespace MediaServer.Media;

/// <summary>Sends RTCP we generate (reports, feedback) to a leg's peer: plainly to its RTCP port, or as SRTCP on WebRTC.</summary>
public interface IRtcpChannel
{
    /// <summary>Our SSRC as an RTCP sender on this channel (the reporter of receiver reports).</summary>
    uint RtcpSsrc { get; }

    bool SendRtcp(ReadOnlySpan<byte> compound);
}
