namespace MediaServer.Transport;

/// <summary>The network side of one leg (its sockets, or its binding on the shared WebRTC port): started once, closed once.</summary>
public interface ILegTransport : IDisposable
{
    /// <summary>Whether every packet it hands on is authenticated (SRTP, RFC 3711 §3.4); plain RTP is not.</summary>
    bool Authenticated { get; }

    void Start();
}
