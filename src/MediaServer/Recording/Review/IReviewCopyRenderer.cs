using MediaServer.Recording.Manifest;

namespace MediaServer.Recording.Review;

/// <summary>Renders a sealed journal into the review MP4 (Recording/Review).</summary>
public interface IReviewCopyRenderer
{
    /// <summary>Alignment and gaps without rendering (for a manifest when rendering failed).</summary>
    ReviewTimeline Analyze(string journalPath);

    Task<ReviewTimeline> RenderAsync(string journalPath, string outputPath, string visitId, IProgress<double>? progress,
        CancellationToken cancellationToken);
}
