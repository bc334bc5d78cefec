namespace MediaServer.Transport.WebRtc;

/// <summary>Limits for DTLS-SRTP handshakes on the shared WebRTC port.</summary>
public sealed class DtlsOptions
{
    /// <summary>From <see cref="DtlsSrtpHandshake.RunAsync"/> to keys; after this the transport is closed and the result is Timeout.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Handshakes in progress (each on its own dedicated thread) allowed at once; beyond it new ones are refused at once, so a
    /// flood of ClientHellos costs at most this many threads. A finished handshake's linger does not count here
    /// (<see cref="MaxLingering"/>), so a burst of joins is limited by the handshakes' own time (milliseconds), not by the linger.
    /// </summary>
    public int MaxConcurrentHandshakes { get; set; } = 64;

    /// <summary>
    /// How long a successful handshake keeps reading its records to answer a retransmitted client flight (our last flight was
    /// lost, RFC 6347 §4.2.4) and to notice close_notify. Zero stops reading at once.
    /// </summary>
    public TimeSpan PostHandshakeLinger { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Successful handshakes lingering at once (each keeps its thread, mostly waiting); one finishing beyond this stops reading
    /// at once instead, as with a zero <see cref="PostHandshakeLinger"/>: its keys are already in use, only a lost last flight
    /// would then go unanswered.
    /// </summary>
    public int MaxLingering { get; set; } = 256;

    /// <summary>Datagrams waiting for the handshake thread; more are dropped and counted (DTLS retransmits).</summary>
    public int ReceiveQueueCapacity { get; set; } = 32;

    /// <summary>Largest datagram we send: handshake messages are fragmented to fit (RFC 6347 §4.1.1.1), 1200 is safe on any path.</summary>
    public int SendLimit { get; set; } = 1200;

    /// <summary>Largest datagram accepted from the peer (peers choose their own MTU); the receive loop's buffer size.</summary>
    public int ReceiveLimit { get; set; } = DatagramReceiveLoop.BufferSize;
}
