namespace MediaServer.Transport;

/// <summary>The network side of one leg (its sockets, or its binding on the shared WebRTC port): started once, closed once.</summary>
public interface ILegTransport : IDisposable
{
    void Start();
}
