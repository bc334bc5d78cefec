using MediaServer.Recording;
using MediaServer.Visits;
using Microsoft.Extensions.DependencyInjection;

namespace MediaServer.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// SQLite and the key directory below the domain: the database at <paramref name="databasePath"/>, the audit log
    /// (<see cref="IAuditLog"/>, with <see cref="AuditStartup"/>, which must be the first hosted service: call this before any
    /// other Add*), and the stores behind <see cref="IVisitStore"/>, <see cref="IFlagStore"/>, <see cref="IJoinBindingStore"/>,
    /// <see cref="Visits.Timeline.ITimelineStore"/> and <see cref="IRecordingStore"/> (which needs the recording options: AddRecording).
    /// </summary>
    public static IServiceCollection AddStorage(this IServiceCollection services, string databasePath, KeyDirectory keys,
        Func<IServiceProvider, AuditOptions> audit)
    {
        services.AddSingleton(keys);
        services.AddSingleton(new Database(databasePath));
        services.AddSingleton(sp => new AuditLog(sp.GetRequiredService<Database>(), keys, sp.GetRequiredService<TimeProvider>(),
            audit(sp), sp.GetRequiredService<ILogger<AuditLog>>()));
        services.AddSingleton<IAuditLog>(sp => sp.GetRequiredService<AuditLog>());
        // First hosted service: verifies the audit chain before anything else runs, and stops last (final checkpoint).
        services.AddHostedService<AuditStartup>();
        services.AddSingleton<IVisitStore, VisitStore>();
        services.AddSingleton<IFlagStore, FlagStore>();
        services.AddSingleton<IJoinBindingStore, JoinBindingStore>();
        services.AddSingleton<IRecordingStore, RecordingStore>();
        services.AddSingleton<Visits.Timeline.ITimelineStore, TimelineStore>();
        return services;
    }
}
