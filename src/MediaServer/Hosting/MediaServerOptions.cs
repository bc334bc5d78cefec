using System.ComponentModel.DataAnnotations;
using MediaServer.Recording;
using MediaServer.Storage;
using MediaServer.Visits;

namespace MediaServer.Hosting;

/// <summary>The "MediaServer" configuration section (config/appsettings.json, overridable as MediaServer__Section__Key).</summary>
public sealed class MediaServerOptions
{
    public const string SectionName = "MediaServer";

    /// <summary>Holds the SQLite database and the recordings. Relative paths resolve against the working directory.</summary>
    [Required]
    public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// Holds every key (token, manifest, DTLS and audit keys) and the audit checkpoints, apart from the data so that a copy of the
    /// data directory holds no key. Empty: a sibling of the data directory named "{DataDirectory}-keys". Must not lie inside the
    /// data directory.
    /// </summary>
    public string KeyDirectory { get; set; } = "";

    public RtpOptions Rtp { get; set; } = new();

    public AuthOptions Auth { get; set; } = new();

    public WebRtcOptions WebRtc { get; set; } = new();

    public VisitOptions Visits { get; set; } = new();

    public RecordingOptions Recording { get; set; } = new();

    public RelayOptions Relay { get; set; } = new();

    public LimitOptions Limits { get; set; } = new();

    public AuditOptions Audit { get; set; } = new();

    public string ResolveDataDirectory() => Path.GetFullPath(DataDirectory, Directory.GetCurrentDirectory());

    public string ResolveKeyDirectory() => string.IsNullOrWhiteSpace(KeyDirectory)
        ? Path.TrimEndingDirectorySeparator(ResolveDataDirectory()) + "-keys"
        : Path.GetFullPath(KeyDirectory, Directory.GetCurrentDirectory());

    /// <summary>True when the key directory is the data directory or lies inside it (refused at start).</summary>
    public bool KeyDirectoryInsideData()
    {
        var data = Path.TrimEndingDirectorySeparator(ResolveDataDirectory()) + Path.DirectorySeparatorChar;
        var keys = Path.TrimEndingDirectorySeparator(ResolveKeyDirectory()) + Path.DirectorySeparatorChar;
        return keys.StartsWith(data, StringComparison.Ordinal);
    }
}

public sealed class RtpOptions
{
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
}

public sealed class WebRtcOptions
{
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
}

public sealed class AuthOptions
{
    public string Issuer { get; set; } = "mediaserver";

    /// <summary>How long before a visit's start its kiosk and visitor tokens may join.</summary>
    public TimeSpan JoinGrace { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Visit tokens stay valid this long after the scheduled end, so that a late client is told "the visit has ended" (410)
    /// rather than "your token is invalid" (401). Joining after the end is refused either way.
    /// </summary>
    public TimeSpan AfterEndGrace { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Lifetime of staff tokens printed by the <c>token</c> command when no --ttl is given.</summary>
    public TimeSpan DefaultTokenLifetime { get; set; } = TimeSpan.FromHours(8);
}
