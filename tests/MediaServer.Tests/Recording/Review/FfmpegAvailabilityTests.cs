using MediaServer.Recording;
using MediaServer.Recording.Review;
using Microsoft.Extensions.Options;

namespace MediaServer.Tests.Recording.Review;

/// <summary>
/// Whether the configured FFmpeg can render review copies: the real one from Debian can; stand-ins (shell scripts that answer
/// -version as an old or a cut-down build would) cannot, each with one sentence saying why. No FFmpeg
/// older than 4.4 is served here, so its answer is imitated from what such builds print.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // the stand-ins are shell scripts
public sealed class FfmpegAvailabilityTests : IDisposable
{
    private const string Configuration = "configuration: --prefix=/usr --enable-gpl --enable-libfreetype --enable-libopus --enable-libx264 --enable-shared";

    private readonly string _directory = Directory.CreateTempSubdirectory("ffmpeg-standin-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Debians_ffmpeg_can_render()
    {
        var ffmpeg = For("ffmpeg");
        Assert.Null(ffmpeg.Problem());
        Assert.Equal("ok", ffmpeg.State());
    }

    [Theory]
    [InlineData("ffmpeg version 4.3.1-static https://johnvansickle.com/ffmpeg/  Copyright (c) 2000-2020", "FFmpeg 4.3.1 at '{path}' is too old: review copies need 4.4 or later")]
    [InlineData("ffmpeg version n4.2.2 Copyright (c) 2000-2019", "FFmpeg 4.2.2 at '{path}' is too old")]
    [InlineData("ffmpeg version 3.4.11-0ubuntu0.1 Copyright (c) 2000-2022", "too old: review copies need 4.4 or later")]
    public void An_ffmpeg_older_than_4_4_is_unusable_and_says_so(string versionLine, string expected)
    {
        var path = StandIn(versionLine, Configuration);
        var ffmpeg = For(path);
        Assert.Equal("unusable", ffmpeg.State());
        Assert.Contains(expected.Replace("{path}", path, StringComparison.Ordinal), ffmpeg.Problem(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ffmpeg version 4.4.2-0ubuntu0.22.04.1 Copyright (c) 2000-2021")]
    [InlineData("ffmpeg version n7.1 Copyright (c) 2000-2024")]
    [InlineData("ffmpeg version N-113426-g1b2ffd4f8e-20240131 Copyright (c) 2000-2024")]
    public void A_new_enough_or_git_built_ffmpeg_with_the_encoders_and_filters_can_render(string versionLine)
    {
        var ffmpeg = For(StandIn(versionLine, Configuration));
        Assert.Null(ffmpeg.Problem());
    }

    [Fact]
    public void An_ffmpeg_without_libx264_is_unusable()
    {
        var path = StandIn("ffmpeg version 6.1 Copyright", Configuration.Replace("--enable-libx264", "--enable-libopenh264", StringComparison.Ordinal));
        Assert.Equal($"FFmpeg at '{path}' was built without libx264, which review copies are encoded with", For(path).Problem());
    }

    [Fact]
    public void An_ffmpeg_without_libfreetype_is_unusable_and_names_drawtext()
    {
        var path = StandIn("ffmpeg version 6.1 Copyright", Configuration.Replace(" --enable-libfreetype", "", StringComparison.Ordinal));
        Assert.Contains("built without libfreetype, which the drawtext filter needs", For(path).Problem(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_program_that_is_not_ffmpeg_is_unusable()
    {
        var path = StandIn("GStreamer 1.22.0", Configuration);
        Assert.Equal($"'{path}' does not say it is FFmpeg (its -version begins 'GStreamer 1.22.0')", For(path).Problem());
    }

    [Fact]
    public void An_ffmpeg_that_never_answers_is_unusable_after_the_probe_timeout()
    {
        var path = Script("hangs", "exec sleep 60");
        var ffmpeg = new FfmpegAvailability(Options.Create(new RecordingOptions { FfmpegPath = path })) { ProbeTimeout = TimeSpan.FromMilliseconds(300) };
        Assert.Equal($"'{path} -version' did not answer within 0.3 s", ffmpeg.Problem());
    }

    [Fact]
    public void A_failing_ffmpeg_names_its_exit_code_and_first_error_line()
    {
        var path = Script("fails", "echo 'error while loading shared libraries: libavdevice.so.59' >&2; exit 127");
        Assert.Equal($"'{path} -version' failed with exit code 127: error while loading shared libraries: libavdevice.so.59", For(path).Problem());
    }

    [Fact]
    public void The_binary_is_asked_once_until_it_changes()
    {
        var counter = Path.Combine(_directory, "asked");
        var path = StandIn("ffmpeg version 3.4 Copyright", Configuration, counter);
        var ffmpeg = For(path);
        Assert.NotNull(ffmpeg.Problem());
        Assert.NotNull(ffmpeg.Problem());
        Assert.Single(File.ReadAllLines(counter));

        // Upgraded in place (another size and time): asked again, and now it can render.
        File.WriteAllText(path, "#!/bin/sh\n" + StandInScript("ffmpeg version 7.1.1 Copyright", Configuration, counter) + "\n# upgraded\n");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        Assert.Null(ffmpeg.Problem());
        Assert.Equal(2, File.ReadAllLines(counter).Length);
    }

    [Fact]
    public void The_quick_state_never_asks_and_reports_what_was_found_once_asked()
    {
        var counter = Path.Combine(_directory, "asked");
        var path = StandIn("ffmpeg version 3.4 Copyright", Configuration, counter);
        var ffmpeg = For(path);
        Assert.Equal("ok", ffmpeg.QuickState());
        Assert.False(File.Exists(counter), "QuickState asked FFmpeg");
        Assert.Equal("unusable", ffmpeg.State());
        Assert.Equal("unusable", ffmpeg.QuickState());
        Assert.Single(File.ReadAllLines(counter));
    }

    [Fact]
    public void A_missing_ffmpeg_is_missing_and_recording_off_needs_none()
    {
        Assert.Equal("missing", For("/nonexistent/bin/ffmpeg").State());
        Assert.Equal("missing", For("no-such-ffmpeg-anywhere").State());
        var off = new FfmpegAvailability(Options.Create(new RecordingOptions { FfmpegPath = "/nonexistent/bin/ffmpeg", Enabled = false }));
        Assert.Equal("ok", off.State());
    }

    private static FfmpegAvailability For(string path) => new(Options.Create(new RecordingOptions { FfmpegPath = path }));

    /// <summary>A stand-in that prints <paramref name="version"/> and <paramref name="configuration"/> for -version.</summary>
    private string StandIn(string version, string configuration, string? counter = null) =>
        Script("ffmpeg", StandInScript(version, configuration, counter));

    private static string StandInScript(string version, string configuration, string? counter) =>
        (counter is null ? "" : $"echo \"$2\" >> '{counter}'\n")
        + "case \"$2\" in\n"
        + $"  -version) cat <<'EOF'\n{version}\nbuilt with gcc 12\n{configuration}\nlibavfilter     8. 44.100 /  8. 44.100\nEOF\n;;\n"
        + "  *) exit 1 ;;\nesac\n";

    private string Script(string name, string body)
    {
        var path = Path.Combine(_directory, name + "-" + Guid.NewGuid().ToString("N")[..6]);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
