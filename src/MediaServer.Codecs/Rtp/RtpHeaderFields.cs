namespace MediaServer.Codecs.Rtp;

/// <summary>The fixed-header fields a sender chooses for each packet (RFC 3550 §5.1).</summary>
public readonly record struct RtpHeaderFields(bool Marker, byte PayloadType, ushort SequenceNumber, uint Timestamp, uint Ssrc);
