using MediaServer.Recording.Manifest;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MediaServer.Recording.Review;

/// <summary>The recording service's renderer: <see cref="ReviewRenderer"/> and <see cref="JournalTimelineAnalyzer"/>, results as manifest entries.</summary>
internal sealed class ReviewCopyRenderer : IReviewCopyRenderer
{
    private readonly ReviewRenderer _renderer;

    public ReviewCopyRenderer(IOptions<RecordingOptions> options, ILogger<ReviewRenderer> logger)
    {
        // RecordingOptions.FfmpegPath names the binary; the renderer runs "ffmpeg" from a folder (or from PATH).
        var recording = options.Value;
        string path = recording.FfmpegPath;
        string folder = path.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal) ? Path.GetDirectoryName(path) ?? "" : "";
        _renderer = new ReviewRenderer(logger, new ReviewRenderOptions
        {
            FfmpegFolder = folder,
            Threads = recording.RenderThreads,
            TimeLimitFactor = recording.RenderTimeLimitFactor,
            TimeLimitMinimum = recording.RenderTimeLimitMinimum,
        });
    }

    public ReviewTimeline Analyze(string journalPath) => ToManifest(JournalTimelineAnalyzer.Analyze(journalPath));

    public async Task<ReviewTimeline> RenderAsync(string journalPath, string outputPath, string visitId, IProgress<double>? progress,
        CancellationToken cancellationToken) =>
        ToManifest(await _renderer.RenderAsync(journalPath, outputPath, visitId, progress, cancellationToken).ConfigureAwait(false));

    private static ReviewTimeline ToManifest(JournalTimeline timeline) => new(
        timeline.Start,
        timeline.End,
        [.. timeline.Tracks.Select(t => new ManifestTrack((int)t.TrackId, t.Participant, t.Role, t.Kind, t.Codec, t.Alignment))],
        [.. timeline.Gaps.Select(g => new ManifestGap((int)g.TrackId, g.Participant, g.Kind, g.From, g.To, (g.To - g.From).TotalSeconds))]);
}
