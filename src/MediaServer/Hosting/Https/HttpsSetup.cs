using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace MediaServer.Hosting.Https;

/// <summary>
/// Puts the configured certificate on every https:// address (reloaded on renewal, <see cref="CertificateReloader"/>), and says at
/// start, plainly, when the server is reachable over plain HTTP from other machines: browsers give camera and microphone only
/// to secure pages (https:// or localhost), so a family joining by that address would be connected and send nothing.
/// </summary>
public static partial class HttpsSetup
{
    /// <summary>The addresses the host will listen on (--urls, ASPNETCORE_URLS or Urls in appsettings), split.</summary>
    public static IReadOnlyList<string> ConfiguredUrls(IConfiguration configuration) =>
        (configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>One line per problem: an https:// address with no certificate, or certificate files that do not load.</summary>
    public static IEnumerable<string> Problems(HttpsOptions https, IReadOnlyList<string> urls)
    {
        foreach (var problem in https.Problems())
        {
            yield return problem;
        }
        if (!https.Enabled && urls.Any(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase)))
        {
            yield return "Urls holds an https:// address but MediaServer:Https:CertificatePath is empty (set it to a PEM certificate with KeyPath, or a .pfx/.p12 file; docs/deploy.md).";
        }
    }

    /// <summary>Serves <paramref name="reloader"/>'s certificate, whole chain, on every HTTPS endpoint.</summary>
    public static void UseCertificate(WebApplicationBuilder builder, CertificateReloader reloader) =>
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https =>
        {
            // Kestrel wants a certificate (or a selector) to accept an https:// address at all; the handshake itself takes the
            // current context, which carries the intermediates, so the selector is only ever asked by Kestrel's own checks.
            https.ServerCertificateSelector = (_, _) => reloader.Current.Leaf;
            https.OnAuthenticate = (_, ssl) =>
            {
                ssl.ServerCertificateSelectionCallback = null;
                ssl.ServerCertificate = null;
                ssl.ServerCertificateContext = reloader.Current.Context;
            };
        }));

    /// <summary>Once the addresses are bound: the certificate in the log, or the plain warning about plain HTTP.</summary>
    public static void LogAtStart(WebApplication app, CertificateReloader? reloader, bool behindProxy)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MediaServer.Https");
        reloader?.AttachLogger(logger);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            foreach (var address in addresses)
            {
                if (!address.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || IsLoopback(address))
                {
                    continue;
                }
                if (behindProxy)
                {
                    LogPlainBehindProxy(logger, address);
                }
                else
                {
                    LogPlainHttp(logger, address);
                }
            }
        });
        if (reloader is not null)
        {
            app.Lifetime.ApplicationStopped.Register(reloader.Dispose);
        }
    }

    /// <summary>True for localhost, 127.0.0.0/8 and ::1 (a browser treats those as secure); false for 0.0.0.0, [::], a LAN address.</summary>
    public static bool IsLoopback(string address)
    {
        if (!Uri.TryCreate(address.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal),
                UriKind.Absolute, out var uri))
        {
            return false;
        }
        if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        return IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);
    }

    [LoggerMessage(EventId = 9103, Level = LogLevel.Warning, Message = "Serving plain HTTP on {Address}, which other machines can reach: browsers give camera and microphone only to HTTPS pages (or localhost), so a family or kiosk joining by this address is connected and sends nothing. Set MediaServer:Https (a certificate) or put a TLS proxy in front (docs/deploy.md).")]
    private static partial void LogPlainHttp(ILogger logger, string address);

    [LoggerMessage(EventId = 9104, Level = LogLevel.Information, Message = "Serving plain HTTP on {Address} for the TLS proxy in MediaServer:Proxy; browsers must reach the server through that proxy's https:// address")]
    private static partial void LogPlainBehindProxy(ILogger logger, string address);
}
