using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace MediaServer.Visits;

public static class VisitsServiceCollectionExtensions
{
    /// <summary>
    /// The visits: their options (<paramref name="options"/> with the join grace filled in, <paramref name="limits"/>), the
    /// registry, flags, token bindings, the lifecycle and the schedule service that ends visits on time. Needs the stores
    /// (<see cref="IVisitStore"/>, <see cref="IFlagStore"/>, <see cref="IJoinBindingStore"/>, <see cref="IAuditLog"/>: AddStorage)
    /// and the leg builders (<see cref="PlainRtpJoin"/>, <see cref="WebRtcJoin"/>); every registered <see cref="IVisitObserver"/>
    /// and <see cref="IJoinGate"/> is told of and asked about each join.
    /// </summary>
    public static IServiceCollection AddVisits(this IServiceCollection services, Func<IServiceProvider, VisitOptions> options,
        Func<IServiceProvider, LimitOptions> limits)
    {
        services.AddSingleton<IOptions<VisitOptions>>(sp => Options.Create(options(sp)));
        services.AddSingleton<IOptions<LimitOptions>>(sp => Options.Create(limits(sp)));
        services.AddSingleton<VisitRegistry>();
        // Flags go to every registered IVisitFlagSink (the recorder registers itself as one).
        services.AddSingleton<VisitFlags>();
        services.AddSingleton<JoinBindings>();
        services.AddSingleton<Timeline.VisitTimeline>();
        services.AddHostedService<Timeline.TimelineSampler>();
        services.AddSingleton<VisitLifecycle>();
        services.AddHostedService<VisitScheduleService>();
        // Resumes live visits after a restart and drains on SIGTERM (a lifecycle service: it runs before any service stops).
        services.AddSingleton<ServerDrain>();
        services.AddHostedService(sp => sp.GetRequiredService<ServerDrain>());
        return services;
    }
}
