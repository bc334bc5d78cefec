using System.Diagnostics;
using System.Globalization;
using FFMpegCore;
using MediaServer.Codecs.Recording;
using Microsoft.Extensions.Logging;

namespace MediaServer.Recording.Rendering;

/// <summary>
/// Makes the review copy of a sealed journal (docs/recording-review-copy.md): each video track to an IVF with its frames
/// at their sender-report times, each Opus track decoded to a WAV laid on the same timeline, then one FFmpeg run (through
/// FFMpegCore) composes every party side by side, mixes the audio, burns in the visit id and the wall-clock time, and
/// writes an H.264 + AAC MP4 ready for seeking over HTTP. The output appears whole or not at all.
/// </summary>
public sealed partial class ReviewRenderer
{
    private const int ErrorTailLines = 25;

    private readonly ILogger<ReviewRenderer> _logger;
    private readonly ReviewRenderOptions _options;

    public ReviewRenderer(ILogger<ReviewRenderer> logger, ReviewRenderOptions? options = null)
    {
        _logger = logger;
        _options = options ?? new ReviewRenderOptions();
    }

    /// <summary>
    /// Renders <paramref name="journalPath"/> to <paramref name="outputMp4Path"/> and returns the timeline it used.
    /// Throws <see cref="ReviewRenderException"/> when FFmpeg fails (the message ends with FFmpeg's last error lines),
    /// <see cref="OperationCanceledException"/> when cancelled; in both cases nothing is left at the output path or beside it.
    /// </summary>
    public async Task<JournalTimeline> RenderAsync(
        string journalPath,
        string outputMp4Path,
        string visitId,
        IProgress<double>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(journalPath);
        ArgumentException.ThrowIfNullOrEmpty(outputMp4Path);
        var clock = Stopwatch.StartNew();
        string ffmpeg = FindFfmpeg();
        string output = Path.GetFullPath(outputMp4Path);
        string outputDirectory = Path.GetDirectoryName(output)!;
        Directory.CreateDirectory(outputDirectory);
        string work = Path.Combine(outputDirectory, $".render-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            var timeline = await Task.Run(() => JournalTimelineAnalyzer.Analyze(journalPath), cancellationToken);
            progress?.Report(0.02);
            var inputs = await Task.Run(() => Extract(timeline, journalPath, work, cancellationToken), cancellationToken);
            progress?.Report(0.1);

            string script = ReviewFilterGraph.Build(timeline, inputs, visitId, _options, work);
            await File.WriteAllTextAsync(Path.Combine(work, "graph.txt"), script, cancellationToken);
            string temporary = Path.Combine(work, "review.mp4");
            await RunFfmpegAsync(timeline, inputs, work, Path.GetDirectoryName(ffmpeg)!, progress, cancellationToken);
            File.Move(temporary, output, overwrite: true);
            progress?.Report(1.0);
            LogRendered(visitId, timeline.Duration.TotalSeconds, clock.Elapsed.TotalSeconds, output);
            return timeline;
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                LogCleanupFailed(work, e.Message);
            }
        }
    }

    private List<RenderInput> Extract(JournalTimeline timeline, string journalPath, string work, CancellationToken cancellationToken)
    {
        var sinks = new Dictionary<uint, TrackSink>();
        var inputs = new List<RenderInput>();
        try
        {
            foreach (var track in timeline.TrackTimelines)
            {
                if (track.Alignment == TrackAlignment.NoMedia)
                {
                    continue;
                }

                string name = string.Create(CultureInfo.InvariantCulture, $"track{track.TrackId}");
                if (track.Kind == "video" && VideoTrackWriter.Supports(track.Codec))
                {
                    sinks[track.TrackId] = new VideoTrackWriter(track, Path.Combine(work, name + ".ivf"), timeline.StartMicroseconds, timeline.EndMicroseconds);
                    inputs.Add(new RenderInput(name + ".ivf", "video", track.TrackId, track.Participant));
                }
                else if (track.Kind == "audio" && AudioTrackWriter.Supports(track.Codec))
                {
                    sinks[track.TrackId] = new AudioTrackWriter(track, Path.Combine(work, name + ".wav"), timeline.StartMicroseconds, timeline.EndMicroseconds);
                    inputs.Add(new RenderInput(name + ".wav", "audio", track.TrackId, track.Participant));
                }
                else
                {
                    LogTrackSkipped(track.TrackId, track.Kind, track.Codec);
                }
            }

            long records = 0;
            JournalFileReader.ReadAll(journalPath, record =>
            {
                if ((++records & 0xFFFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                if (record.Type == JournalRecordType.Rtp && record.TryGetTrack(out uint id, out var datagram)
                    && sinks.TryGetValue(id, out var sink))
                {
                    sink.OnRtp(datagram);
                }
            });

            foreach (var (id, sink) in sinks)
            {
                sink.Finish();
                switch (sink)
                {
                    case VideoTrackWriter video:
                        LogVideoTrack(id, video.Frames, video.FramesDropped, video.PacketsLost);
                        break;
                    case AudioTrackWriter audio:
                        LogAudioTrack(id, audio.PacketsDecoded, audio.PacketsUndecodable, audio.SamplesConcealed);
                        break;
                }
            }
        }
        finally
        {
            foreach (var sink in sinks.Values)
            {
                sink.Dispose();
            }
        }

        // FFmpeg needs at least one audio input for the AAC track: a visit without audio gets silence.
        if (!inputs.Any(i => i.Kind == "audio"))
        {
            AudioTrackWriter.WriteSilence(Path.Combine(work, "silence.wav"), timeline.StartMicroseconds, timeline.EndMicroseconds);
            inputs.Add(new RenderInput("silence.wav", "audio", 0, ""));
        }

        return inputs;
    }

    private async Task RunFfmpegAsync(
        JournalTimeline timeline,
        List<RenderInput> inputs,
        string work,
        string ffmpegFolder,
        IProgress<double>? progress,
        CancellationToken cancellationToken)
    {
        var inv = CultureInfo.InvariantCulture;
        var duration = timeline.Duration;

        // -copyts keeps each input's timestamps as written (a party that joined late starts late) instead of moving every
        // file to zero; all of them count from the timeline's start.
        var arguments = FFMpegArguments.FromFileInput(inputs[0].FileName, verifyExists: false, o => o.WithCustomArgument("-copyts"));
        foreach (var input in inputs.Skip(1))
        {
            arguments = arguments.AddFileInput(input.FileName, verifyExists: false);
        }

        string threads = _options.Threads > 0 ? string.Create(inv, $" -threads {_options.Threads}") : "";
        var stderrTail = new Queue<string>();
        var processor = arguments
            .OutputToFile("review.mp4", overwrite: true, o => o.WithCustomArgument(string.Create(inv,
                $"-filter_complex_script graph.txt -map [vout] -map [aout] -c:v libx264 -preset {_options.X264Preset} -crf {_options.X264Crf} -pix_fmt yuv420p -r {_options.FramesPerSecond}{threads} -c:a aac -b:a 128k -ar 48000 -t {duration.TotalSeconds:0.000} -movflags +faststart")))
            .NotifyOnProgress(percent => progress?.Report(0.1 + (0.9 * Math.Clamp(percent, 0, 100) / 100)), duration)
            .NotifyOnError(line =>
            {
                lock (stderrTail)
                {
                    stderrTail.Enqueue(line);
                    if (stderrTail.Count > ErrorTailLines)
                    {
                        stderrTail.Dequeue();
                    }
                }
            })
            .CancellableThrough(cancellationToken);

        var ffOptions = new FFOptions { BinaryFolder = ffmpegFolder, WorkingDirectory = work };
        string Tail()
        {
            lock (stderrTail)
            {
                return string.Join('\n', stderrTail);
            }
        }

        bool succeeded;
        try
        {
            succeeded = await processor.ProcessAsynchronously(throwOnError: false, ffOptions);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            LogFfmpegFailed(e.Message, Tail());
            throw new ReviewRenderException($"FFmpeg could not render the review copy: {e.Message}\n{Tail()}", e);
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (!succeeded || !File.Exists(Path.Combine(work, "review.mp4")))
        {
            LogFfmpegFailed("non-zero exit", Tail());
            throw new ReviewRenderException($"FFmpeg failed to render the review copy:\n{Tail()}");
        }
    }

    /// <summary>The ffmpeg binary in the configured folder, or on PATH; a missing one fails the render before any work.</summary>
    private string FindFfmpeg()
    {
        var folders = _options.FfmpegFolder.Length > 0
            ? [_options.FfmpegFolder]
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        foreach (string folder in folders)
        {
            string candidate = Path.Combine(folder, OperatingSystem.IsWindows() ? "ffmpeg.exe" : "ffmpeg");
            if (File.Exists(candidate))
            {
                return Path.GetFullPath(candidate);
            }
        }

        string where = _options.FfmpegFolder.Length > 0 ? _options.FfmpegFolder : "PATH";
        LogFfmpegFailed("binary missing", where);
        throw new ReviewRenderException($"FFmpeg was not found in {where}; install it (scripts/setup.sh) or set the FFmpeg folder");
    }

    [LoggerMessage(EventId = 780, Level = LogLevel.Information, Message = "Review copy of visit {VisitId}: {DurationSeconds:0.0} s rendered in {ElapsedSeconds:0.0} s to {Path}")]
    private partial void LogRendered(string visitId, double durationSeconds, double elapsedSeconds, string path);

    [LoggerMessage(EventId = 781, Level = LogLevel.Warning, Message = "Track {TrackId} ({Kind}, codec '{Codec}') cannot be rendered and is left out of the review copy")]
    private partial void LogTrackSkipped(uint trackId, string kind, string codec);

    [LoggerMessage(EventId = 782, Level = LogLevel.Debug, Message = "Track {TrackId}: {Frames} video frames, {Dropped} dropped, {Lost} packets lost")]
    private partial void LogVideoTrack(uint trackId, int frames, long dropped, long lost);

    [LoggerMessage(EventId = 783, Level = LogLevel.Debug, Message = "Track {TrackId}: {Decoded} audio packets decoded, {Undecodable} undecodable, {Concealed} samples concealed")]
    private partial void LogAudioTrack(uint trackId, long decoded, long undecodable, long concealed);

    [LoggerMessage(EventId = 784, Level = LogLevel.Error, Message = "FFmpeg failed to render a review copy ({Reason}):\n{StderrTail}")]
    private partial void LogFfmpegFailed(string reason, string stderrTail);

    [LoggerMessage(EventId = 785, Level = LogLevel.Warning, Message = "Could not remove the render work directory {Path}: {Reason}")]
    private partial void LogCleanupFailed(string path, string reason);
}
