using Microsoft.Extensions.DependencyInjection;

namespace MediaServer.Visits;

public static class JoinServiceCollectionExtensions
{
    /// <summary>
    /// The two ways a join or a tap becomes a leg: <see cref="PlainRtpJoin"/> (needs <c>AddRelay</c>) and
    /// <see cref="WebRtcJoin"/> (needs <c>AddWebRtc</c>).
    /// </summary>
    public static IServiceCollection AddJoins(this IServiceCollection services)
    {
        services.AddSingleton<PlainRtpJoin>();
        services.AddSingleton<WebRtcJoin>();
        return services;
    }
}
