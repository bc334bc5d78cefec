using Microsoft.Extensions.DependencyInjection;

namespace MediaServer.Monitoring;

public static class MonitoringServiceCollectionExtensions
{
    /// <summary>Monitoring's shared parts: the one <see cref="MixerClock"/> that ticks every mixed-audio tap.</summary>
    public static IServiceCollection AddMonitoring(this IServiceCollection services)
    {
        services.AddSingleton(MixerClock.Shared);
        return services;
    }
}
