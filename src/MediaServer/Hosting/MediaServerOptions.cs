using System.ComponentModel.DataAnnotations;
using MediaServer.Auth;
using MediaServer.Hosting.Https;
using MediaServer.Recording;
using MediaServer.Routing;
using MediaServer.Storage;
using MediaServer.Transport;
using MediaServer.Transport.WebRtc;
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

    public HttpsOptions Https { get; set; } = new();

    public ProxyOptions Proxy { get; set; } = new();

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
