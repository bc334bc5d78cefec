namespace MediaServer.Media;

/// <summary>Where a transport hands a validated RTCP compound packet (RFC 3550 §6.1) from a latched peer.</summary>
public interface IRtcpSink
{
    void OnRtcp(ReadOnlySpan<byte> compound);
}
