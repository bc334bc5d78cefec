namespace MediaServer.Hosting.Https;

/// <summary>
/// Holds the certificate Kestrel serves and loads it again when its files change (a renewal by certbot or the facility's PKI):
/// the directories are watched, changes are gathered for half a second (a renewal writes the certificate and the key one after
/// the other), and the files are also compared every minute in case a watch event is missed (a network file system). A renewal
/// that does not load (half-written, key and certificate not a pair yet) keeps the old certificate and is logged; the next
/// change tries again. Connections already open keep the certificate they were opened with.
/// </summary>
public sealed partial class CertificateReloader : IDisposable
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Recheck = TimeSpan.FromMinutes(1);

    private readonly HttpsOptions _options;
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly Timer _settle;
    private readonly Timer _recheck;
    private readonly Lock _gate = new();
    private ILogger? _logger;
    private ServerCertificate _current;
    private string _stamp;
    private bool _disposed;

    public CertificateReloader(HttpsOptions options)
    {
        _options = options;
        _current = ServerCertificate.Load(options);
        _stamp = Stamp();
        _settle = new Timer(_ => Reload(), null, Timeout.Infinite, Timeout.Infinite);
        _recheck = new Timer(_ => ReloadIfChanged(), null, Recheck, Recheck);
        foreach (var directory in options.Files().Select(Path.GetDirectoryName).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            var watcher = new FileSystemWatcher(directory) { IncludeSubdirectories = false, NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime };
            watcher.Changed += (_, _) => Changed();
            watcher.Created += (_, _) => Changed();
            watcher.Renamed += (_, _) => Changed();
            watcher.Deleted += (_, _) => Changed();
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
    }

    /// <summary>The certificate for the next handshake.</summary>
    public ServerCertificate Current => Volatile.Read(ref _current);

    /// <summary>Counts the certificates loaded after the first (for the log and tests).</summary>
    public int Reloads { get; private set; }

    public void AttachLogger(ILogger logger)
    {
        _logger = logger;
        LogServing(logger, _current.Leaf.Subject, _current.Leaf.Thumbprint, _current.Leaf.NotAfter);
    }

    private void Changed() => _settle.Change(Settle, Timeout.InfiniteTimeSpan);

    private void ReloadIfChanged()
    {
        if (Stamp() != _stamp)
        {
            Reload();
        }
    }

    private void Reload()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            var stamp = Stamp();
            ServerCertificate next;
            try
            {
                next = ServerCertificate.Load(_options);
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                if (_logger is not null)
                {
                    LogReloadFailed(_logger, string.Join(", ", _options.Files()), e.Message);
                }
                return;
            }
            _stamp = stamp;
            if (next.Leaf.Thumbprint == _current.Leaf.Thumbprint)
            {
                next.Dispose();
                return;
            }
            // The old certificate is left to the collector: a handshake in progress may still be using it.
            Volatile.Write(ref _current, next);
            Reloads++;
            if (_logger is not null)
            {
                LogReloaded(_logger, next.Leaf.Subject, next.Leaf.Thumbprint, next.Leaf.NotAfter);
            }
        }
    }

    private string Stamp()
    {
        var parts = new List<string>();
        foreach (var file in _options.Files())
        {
            var info = new FileInfo(file);
            parts.Add(info.Exists ? $"{info.LastWriteTimeUtc.Ticks}:{info.Length}" : "missing");
        }
        return string.Join('|', parts);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }
        _settle.Dispose();
        _recheck.Dispose();
    }

    [LoggerMessage(EventId = 9100, Level = LogLevel.Information, Message = "HTTPS: serving the certificate for {Subject} (thumbprint {Thumbprint}, valid until {NotAfter:u})")]
    private static partial void LogServing(ILogger logger, string subject, string thumbprint, DateTime notAfter);

    [LoggerMessage(EventId = 9101, Level = LogLevel.Information, Message = "HTTPS: the renewed certificate for {Subject} (thumbprint {Thumbprint}, valid until {NotAfter:u}) is served to new connections")]
    private static partial void LogReloaded(ILogger logger, string subject, string thumbprint, DateTime notAfter);

    [LoggerMessage(EventId = 9102, Level = LogLevel.Warning, Message = "HTTPS: {Files} changed but could not be loaded ({Reason}); the previous certificate is still served")]
    private static partial void LogReloadFailed(ILogger logger, string files, string reason);
}
