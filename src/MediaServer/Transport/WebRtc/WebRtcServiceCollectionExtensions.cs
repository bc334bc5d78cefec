using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MediaServer.Transport.WebRtc;

public static class WebRtcServiceCollectionExtensions
{
    /// <summary>
    /// The shared WebRTC port (started and stopped with the host) and its DTLS server, with <see cref="WebRtcOptions"/>
    /// (MediaServer:WebRtc). The DTLS certificate is kept in <paramref name="keyDirectory"/> (made once, then reused, so the
    /// fingerprint in answers stays the same across restarts).
    /// </summary>
    public static IServiceCollection AddWebRtc(this IServiceCollection services, string keyDirectory)
    {
        services.AddOptions<WebRtcOptions>().BindConfiguration(WebRtcOptions.SectionName);
        services.AddSingleton(sp => DtlsCertificate.LoadOrCreate(keyDirectory, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new DtlsSrtpServer(sp.GetRequiredService<DtlsCertificate>(), new DtlsOptions(),
            sp.GetRequiredService<ILogger<DtlsSrtpServer>>()));
        services.AddSingleton<WebRtcPort>();
        services.AddHostedService(sp => sp.GetRequiredService<WebRtcPort>());
        return services;
    }
}
