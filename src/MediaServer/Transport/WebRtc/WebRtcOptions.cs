using System.ComponentModel.DataAnnotations;

namespace MediaServer.Transport.WebRtc;

/// <summary>"MediaServer:WebRtc": the shared WebRTC port and its legs' timeouts.</summary>
public sealed class WebRtcOptions
{
    /// <summary>Where these options live in the configuration.</summary>
    public const string SectionName = "MediaServer:WebRtc";

    /// <summary>The one UDP port every WebRTC leg uses (ICE, DTLS, SRTP demultiplexed by first byte, RFC 7983); 0 = any free port.</summary>
    [Range(0, 65535)]
    public int Port { get; set; } = 41000;

    /// <summary>Address the shared port binds to; also the host candidate unless <see cref="AnnouncedAddress"/> is set.</summary>
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>Host candidate written into answers when clients reach the server through NAT (empty: ListenAddress).</summary>
    public string AnnouncedAddress { get; set; } = "";

    /// <summary>A leg whose peer sends no authenticated consent check for this long is closed (RFC 7675 §5.1: 30 s).</summary>
    public TimeSpan ConsentTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a new leg may take to complete ICE and DTLS before it is closed.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Whether WebRTC legs get generic NACK (RFC 4585 §6.2.1): answers offer <c>a=rtcp-fb:* nack</c> and lost packets are resent
    /// from the track's cache. Off leaves plain nack out of answers (nack pli stays) and ignores NACKs; for loss measurements.
    /// </summary>
    public bool Nack { get; set; } = true;

    /// <summary>
    /// On the batched I/O path with more than one thread, the port is a group of sockets bound with SO_REUSEPORT, one per
    /// thread: the kernel spreads the legs' address pairs over them, so browsers' SRTP runs on every I/O thread instead of one.
    /// False keeps one socket. Either way legs see one port.
    /// </summary>
    public bool SocketPerIoThread { get; set; } = true;
}
