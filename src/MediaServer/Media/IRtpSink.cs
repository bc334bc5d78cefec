namespace MediaServer.Media;

/// <summary>The fields of a validated RTP header that routing needs, read once by the transport.</summary>
public readonly record struct RtpHeaderInfo(ushort SequenceNumber, uint Timestamp, uint Ssrc, byte PayloadType, bool Marker, int HeaderLength);

/// <summary>Where a transport hands a validated RTP packet from a latched sender.</summary>
public interface IRtpSink
{
    /// <param name="packet">The receive loop's buffer: the sink may rewrite the header in place; it is gone after the call.</param>
    void OnRtp(Span<byte> packet, in RtpHeaderInfo header);
}
