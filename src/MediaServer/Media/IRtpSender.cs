namespace MediaServer.Media;

/// <summary>
/// The way out to one peer for the RTP a receiver slot sends: bound to where that peer receives (a plain-RTP client's offered
/// port on its join address, a WebRTC leg's nominated pair), so the relay never names a destination itself.
/// </summary>
public interface IRtpSender
{
    /// <summary>False while the way out is not established yet (a WebRTC leg before ICE and DTLS complete).</summary>
    bool IsReady { get; }

    /// <summary>Sends one packet synchronously (the bytes are copied before returning); false when it could not be sent.</summary>
    bool TrySend(ReadOnlySpan<byte> packet);
}
