using Microsoft.Extensions.DependencyInjection;

namespace MediaServer.Recording.Review;

public static class ReviewServiceCollectionExtensions
{
    /// <summary>Review copies: the FFmpeg renderer the recorder's render queue runs (RecordingOptions' FFmpeg settings).</summary>
    public static IServiceCollection AddReview(this IServiceCollection services)
    {
        services.AddSingleton<IReviewCopyRenderer, ReviewCopyRenderer>();
        return services;
    }
}
