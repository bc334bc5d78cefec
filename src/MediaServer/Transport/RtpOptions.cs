using System.ComponentModel.DataAnnotations;

namespace MediaServer.Transport;

/// <summary>"MediaServer:Rtp": the plain-RTP sockets and who may use them.</summary>
public sealed class RtpOptions
{
    /// <summary>Where these options live in the configuration.</summary>
    public const string SectionName = "MediaServer:Rtp";

    /// <summary>Address the plain-RTP sockets bind to.</summary>
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>Address written into SDP answers; empty means <see cref="ListenAddress"/> (set it when clients reach the server through NAT).</summary>
    public string AnnouncedAddress { get; set; } = "";

    /// <summary>First port of the plain-RTP range (each m-line takes an even/odd pair: RTP, RTCP).</summary>
    [Range(1024, 65534)]
    public int PortMin { get; set; } = 40000;

    [Range(1025, 65535)]
    public int PortMax { get; set; } = 40999;

    /// <summary>
    /// CIDR prefixes (IPv4 and IPv6) plain, unauthenticated RTP is accepted from: joins and taps from elsewhere are refused 403
    /// before any port is bound. Empty means loopback only (127.0.0.0/8, ::1/128); a facility lists its kiosk subnet here.
    /// Family devices on the internet join over WebRTC, which this does not limit.
    /// </summary>
    public string[] AllowedNetworks { get; set; } = [];

    /// <summary>
    /// Media sockets are served by a few batched I/O threads (recvmmsg/sendmmsg, Linux x64/arm64); false (or another platform)
    /// keeps one async receive loop per socket. Chosen at start and logged.
    /// </summary>
    public bool BatchedIo { get; set; } = true;

    /// <summary>The even/odd pairs of the range (from the first even port).</summary>
    public int Pairs => Math.Max(0, (PortMax - (PortMin % 2 == 0 ? PortMin : PortMin + 1) + 1) / 2);

    /// <summary>
    /// The pairs one visit can take over plain RTP at most: an audio and a video m-line (a pair each) for the kiosk, for each
    /// of <paramref name="maxVisitors"/> and for each of <paramref name="maxTaps"/>. A range smaller than that cannot hold one
    /// full visit and is refused at start.
    /// </summary>
    public static int PairsForOneVisit(int maxVisitors, int maxTaps) => (1 + maxVisitors + maxTaps) * 2;

    /// <summary>
    /// Pairs of the range bound at start and shared by every m-line of a client that joins with <c>?rtp=symmetric</c> (it sends
    /// each stream from the port it receives it on, RFC 4961), told apart by source address; 0 (the default) shares none. One
    /// per batched I/O thread spreads them over the threads.
    /// </summary>
    [Range(0, 64)]
    public int SharedPairs { get; set; }

    /// <summary>How many batched I/O threads; 0 means one per core.</summary>
    [Range(0, 64)]
    public int IoThreads { get; set; }

    /// <summary>
    /// After a round that moved datagrams without filling a receive batch, a batched I/O thread sleeps this long before it
    /// waits again, so the datagrams that arrive meanwhile are read with one recvmmsg and sent with one sendmmsg instead of a
    /// wake-up each; 0 waits at once. A round that filled a batch never sleeps, so this delays datagrams by at most about this
    /// much and never caps the rate. docs/performance.md has what it saves.
    /// </summary>
    [Range(0, 2000)]
    public int IoCoalesceMicroseconds { get; set; } = 100;
}
