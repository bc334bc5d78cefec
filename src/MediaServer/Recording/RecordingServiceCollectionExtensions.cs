using MediaServer.Recording.Manifest;
using MediaServer.Visits;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace MediaServer.Recording;

public static class RecordingServiceCollectionExtensions
{
    /// <summary>
    /// The recorder: its options (<paramref name="options"/> gives them with the data and key directories filled in), the
    /// manifest signing key, its metrics, and <see cref="RecordingService"/> as a hosted service that observes every visit
    /// (<see cref="IVisitObserver"/>, <see cref="IVisitFlagSink"/>) and gates every join (<see cref="IJoinGate"/>). Needs
    /// <see cref="IRecordingStore"/> and <see cref="IAuditLog"/> (AddStorage) and, for review copies, AddReview.
    /// </summary>
    public static IServiceCollection AddRecording(this IServiceCollection services, Func<IServiceProvider, RecordingOptions> options)
    {
        services.AddSingleton<IOptions<RecordingOptions>>(sp => Options.Create(options(sp)));
        services.AddSingleton(sp => new RecordingSigner(sp.GetRequiredService<IOptions<RecordingOptions>>().Value.KeyDirectory));
        services.AddSingleton<RecordingMetrics>();
        services.AddSingleton<RecordingService>();
        services.AddHostedService(sp => sp.GetRequiredService<RecordingService>());
        services.AddSingleton<IVisitObserver>(sp => sp.GetRequiredService<RecordingService>());
        services.AddSingleton<IJoinGate>(sp => sp.GetRequiredService<RecordingService>());
        services.AddSingleton<IVisitFlagSink>(sp => sp.GetRequiredService<RecordingService>());
        return services;
    }
}
