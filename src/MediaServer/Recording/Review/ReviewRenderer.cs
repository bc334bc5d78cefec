using System.Diagnostics;
using System.Globalization;
using MediaServer.Codecs.Recording;
using Microsoft.Extensions.Logging;

namespace MediaServer.Recording.Review;

/// <summary>
/// Makes the review copy of a sealed journal (docs/recording-review-copy.md): each video track to an IVF with its frames
/// at their sender-report times, each Opus track decoded to a WAV laid on the same timeline, then one FFmpeg run (through
/// FfmpegProcess, at the lowest priority) composes every party side by side, mixes the audio, burns in the visit id and the wall-clock time, and
/// writes an H.264 + AAC MP4 ready for seeking over HTTP. The output appears whole or not at all.
/// FFmpeg decodes what visitors sent, so it runs as a low-priority child (SCHED_IDLE, nice 19 and the idle I/O class where the system has
/// nice and ionice), with bounded threads and a wall-clock limit after which its whole process tree is killed. The work before it (the
/// journal read, the IVF and WAV tracks) runs under SCHED_IDLE too, on a thread of its own (<see cref="IdlePriorityThread"/>).
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
        RecordingPaths.CreateFolder(work);
        try
        {
            // The journal is read and its tracks written by a thread at FFmpeg's priority, not on the pool beside the relay.
            var timeline = await IdlePriorityThread.Run("render-read", _options.LowPriority,
                () => JournalTimelineAnalyzer.Analyze(journalPath), cancellationToken);
            progress?.Report(0.02);
            var inputs = await IdlePriorityThread.Run("render-tracks", _options.LowPriority,
                () => Extract(timeline, journalPath, work, cancellationToken), cancellationToken);
            progress?.Report(0.1);

            string script = ReviewFilterGraph.Build(timeline, inputs, visitId, _options, work);
            await File.WriteAllTextAsync(Path.Combine(work, "graph.txt"), script, cancellationToken);
            string temporary = Path.Combine(work, "review.mp4");
            await RunFfmpegAsync(timeline, inputs, work, ffmpeg, progress, cancellationToken);
            RecordingPaths.RestrictFile(temporary);
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
        string ffmpeg,
        IProgress<double>? progress,
        CancellationToken cancellationToken)
    {
        var inv = CultureInfo.InvariantCulture;
        var duration = timeline.Duration;
        string threads = Math.Max(1, _options.Threads).ToString(inv);

        // The arguments, in order: global options, each input (its decoder threads bounded too), the encode.
        // -copyts keeps each input's timestamps as written (a party that joined late starts late) instead of moving every
        // file to zero; all of them count from the timeline's start.
        var arguments = new List<string> { "-hide_banner", "-nostdin", "-nostats", "-y", "-progress", "pipe:1", "-filter_complex_threads", threads, "-copyts" };
        foreach (var input in inputs)
        {
            arguments.AddRange(["-threads", threads, "-i", input.FileName]);
        }
        arguments.AddRange([
            "-filter_complex_script", "graph.txt", "-map", "[vout]", "-map", "[aout]",
            "-c:v", "libx264", "-preset", _options.X264Preset, "-crf", _options.X264Crf.ToString(inv), "-pix_fmt", "yuv420p",
            "-r", _options.FramesPerSecond.ToString(inv), "-threads", threads,
            "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-t", duration.TotalSeconds.ToString("0.000", inv), "-movflags", "+faststart",
            "review.mp4"]);

        var limit = TimeLimitFor(duration);
        var stderrTail = new Queue<string>();
        string Tail()
        {
            lock (stderrTail)
            {
                return string.Join('\n', stderrTail);
            }
        }

        using var run = FfmpegProcess.Start(ffmpeg, arguments, work, _options.LowPriority);
        var stderr = Task.Run(async () =>
        {
            while (await run.Process.StandardError.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
            {
                lock (stderrTail)
                {
                    stderrTail.Enqueue(line);
                    if (stderrTail.Count > ErrorTailLines)
                    {
                        stderrTail.Dequeue();
                    }
                }
            }
        }, CancellationToken.None);
        var stdout = Task.Run(async () =>
        {
            // -progress writes key=value lines; out_time_us is how far the output has got.
            while (await run.Process.StandardOutput.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
            {
                if (line.StartsWith("out_time_us=", StringComparison.Ordinal)
                    && long.TryParse(line.AsSpan("out_time_us=".Length), NumberStyles.Integer, inv, out var microseconds)
                    && duration > TimeSpan.Zero)
                {
                    progress?.Report(0.1 + (0.9 * Math.Clamp(microseconds / (duration.TotalMilliseconds * 1000), 0, 1)));
                }
            }
        }, CancellationToken.None);

        using var timeout = new CancellationTokenSource(limit);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await run.Process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            run.KillTree();
            await run.Process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            var message = string.Create(inv,
                $"FFmpeg did not finish the review copy within its limit of {limit.TotalSeconds:0} s ({_options.TimeLimitFactor:0.#} times the visit's {duration.TotalSeconds:0.0} s of media, at least {_options.TimeLimitMinimum.TotalSeconds:0} s) and was stopped");
            LogFfmpegTimedOut(limit.TotalSeconds, duration.TotalSeconds);
            throw new ReviewRenderException(message);
        }
        await Task.WhenAll(stderr, stdout).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);

        if (run.Process.ExitCode != 0 || !File.Exists(Path.Combine(work, "review.mp4")))
        {
            LogFfmpegFailed(string.Create(inv, $"exit code {run.Process.ExitCode}"), Tail());
            throw new ReviewRenderException($"FFmpeg failed to render the review copy:\n{Tail()}");
        }
    }

    /// <summary>The wall-clock limit of one FFmpeg run: <see cref="ReviewRenderOptions.TimeLimitFactor"/> times the media's length, at least the minimum.</summary>
    public TimeSpan TimeLimitFor(TimeSpan mediaLength)
    {
        var scaled = TimeSpan.FromSeconds(Math.Max(0, mediaLength.TotalSeconds) * _options.TimeLimitFactor);
        return scaled > _options.TimeLimitMinimum ? scaled : _options.TimeLimitMinimum;
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

    [LoggerMessage(EventId = 786, Level = LogLevel.Error, Message = "FFmpeg ran past its limit of {LimitSeconds:0} s for {MediaSeconds:0.0} s of media and was stopped")]
    private partial void LogFfmpegTimedOut(double limitSeconds, double mediaSeconds);

    [LoggerMessage(EventId = 785, Level = LogLevel.Warning, Message = "Could not remove the render work directory {Path}: {Reason}")]
    private partial void LogCleanupFailed(string path, string reason);
}
