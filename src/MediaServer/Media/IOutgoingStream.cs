namespace MediaServer.Media;

/// <summary>
/// One stream the server sends to a peer, as the peer's transport sees it: the peer's RTCP about it (feedback, receiver
/// reports) and the moment the way to the peer opens.
/// </summary>
public interface IOutgoingStream : IRtcpSink
{
    /// <summary>The transport can now carry this stream (a WebRTC leg's DTLS completed): a receiver starting now needs a keyframe.</summary>
    void OnTransportReady();
}
