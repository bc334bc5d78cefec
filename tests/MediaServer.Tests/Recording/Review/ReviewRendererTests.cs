using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MediaServer.Recording.Review;
using MediaServer.Testing;
using MediaServer.Testing.Ffmpeg;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace MediaServer.Tests.Recording.Review;

/// <summary>
/// The review copy made from what real FFmpeg senders sent: two parties, each sending the flash-and-beep clip
/// (docs/peers.md) as video and Opus with RTCP sender reports, captured on UDP sockets into a journal.
/// The rendered MP4 is measured with FFmpeg filters: per tile the flash instants (signalstats), per party's beep
/// frequency the beep instants (bandpass + silencedetect).
/// </summary>
public sealed class ReviewRendererTests(ITestOutputHelper output) : IDisposable
{
    private const double ClipSeconds = 7;
    private const int TileWidth = 640;
    private const int TileHeight = 360;

    private readonly string _directory = Directory.CreateTempSubdirectory("review-render-test-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private sealed record Party(string Participant, string Role, string VideoCodec, int BeepHz, ushort AudioTrack, ushort VideoTrack, long NtpSkewMicroseconds);

    private static readonly Party Kiosk = new("inmate-7", "kiosk", "VP8", 1000, 1, 2, -1_500_000);
    private static readonly Party Visitor = new("visitor-9", "visitor", "H264", 2500, 3, 4, 2_345_000);

    private static List<string> SenderArguments(Party party, int videoPort, int audioPort)
    {
        string video = party.VideoCodec == "VP8"
            ? "-c:v libvpx -deadline realtime -cpu-used 8 -b:v 600k -g 30 -payload_type 96 -ssrc 1111"
            : "-c:v libx264 -tune zerolatency -profile:v baseline -preset veryfast -g 30 -payload_type 102 -ssrc 3333";
        var args = new List<string>
        {
            "-hide_banner", "-loglevel", "error", "-nostdin",
            "-re", "-t", ClipSeconds.ToString(CultureInfo.InvariantCulture), "-f", "lavfi",
            "-i", "testsrc2=size=320x240:rate=30,drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='lt(mod(t\\,2)\\,0.1)'",
            "-re", "-t", ClipSeconds.ToString(CultureInfo.InvariantCulture), "-f", "lavfi",
            "-i", $"sine=frequency={party.BeepHz}:sample_rate=48000:samples_per_frame=480,volume='if(lt(mod(t\\,2)\\,0.1)\\,1\\,0)':eval=frame",
            "-map", "0:v",
        };
        args.AddRange(video.Split(' '));
        args.AddRange(["-f", "rtp", $"rtp://127.0.0.1:{videoPort}?rtcpport={videoPort + 1}&pkt_size=1200"]);
        args.AddRange(["-map", "1:a", "-c:a", "libopus", "-payload_type", "111", "-ssrc", party.AudioTrack == 1 ? "2222" : "4444"]);
        args.AddRange(["-f", "rtp", $"rtp://127.0.0.1:{audioPort}?rtcpport={audioPort + 1}&pkt_size=1200"]);
        return args;
    }

    /// <summary>Runs both senders (the visitor 0.7 s after the kiosk) and writes what arrived as a journal.</summary>
    private async Task<string> CaptureJournalAsync()
    {
        using var capture = new UdpCapture();
        var ports = new Dictionary<string, int>();
        foreach (var party in (Party[])[Kiosk, Visitor])
        {
            ports[party.Participant + "/video"] = capture.AddPair(party.Participant + "/video");
            ports[party.Participant + "/audio"] = capture.AddPair(party.Participant + "/audio");
        }

        capture.Start();
        var senders = new List<Process>();
        try
        {
            senders.Add(Process.Start(ProcessRunner.StartInfo("ffmpeg", SenderArguments(Kiosk, ports["inmate-7/video"], ports["inmate-7/audio"]), null, null))!);
            await Task.Delay(700); // the second party's clip starts later, so the two parties' flashes do not coincide
            senders.Add(Process.Start(ProcessRunner.StartInfo("ffmpeg", SenderArguments(Visitor, ports["visitor-9/video"], ports["visitor-9/audio"]), null, null))!);
            var deadline = Stopwatch.StartNew();
            foreach (var sender in senders)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(40) - deadline.Elapsed);
                await sender.WaitForExitAsync(timeout.Token);
                Assert.True(sender.ExitCode == 0, await sender.StandardError.ReadToEndAsync());
            }

            while (capture.Quiet < TimeSpan.FromMilliseconds(300))
            {
                await Task.Delay(50);
            }
        }
        finally
        {
            foreach (var sender in senders)
            {
                if (!sender.HasExited)
                {
                    sender.Kill(entireProcessTree: true);
                }

                sender.Dispose();
            }
        }

        var datagrams = capture.Stop();
        string path = Path.Combine(_directory, "journal.msj");
        using var journal = new JournalBuilder(path, datagrams[0].WallMicroseconds);
        journal.Begin(datagrams[0].WallMicroseconds - 1000, "visit-render", ("inmate-7", "A. Inmate"), ("visitor-9", "B. Visitor"));
        var announced = new HashSet<string>();
        foreach (var d in datagrams)
        {
            var party = d.Label.StartsWith(Kiosk.Participant, StringComparison.Ordinal) ? Kiosk : Visitor;
            bool video = d.Label.EndsWith("/video", StringComparison.Ordinal);
            ushort track = video ? party.VideoTrack : party.AudioTrack;
            if (announced.Add(party.Participant))
            {
                journal.Track(d.WallMicroseconds, party.AudioTrack, party.Participant, party.Role, "audio", 48000, (111, "opus"));
                journal.Track(d.WallMicroseconds, party.VideoTrack, party.Participant, party.Role, "video", 90000, party.VideoCodec == "VP8" ? (96, "VP8") : (102, "H264"));
            }

            if (d.Rtcp)
            {
                // Each party's clock differs from the server's: move its NTP timestamps as a sender on another machine would.
                var bytes = d.Bytes.ToArray();
                if (bytes.Length >= 28 && bytes[1] == 200)
                {
                    ulong ntp = BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(8));
                    long shift = (long)((double)party.NtpSkewMicroseconds / 1_000_000 * 4294967296.0);
                    BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(8), (ulong)((long)ntp + shift));
                }

                journal.RtcpDatagram(d.WallMicroseconds, track, bytes);
            }
            else
            {
                journal.RtpDatagram(d.WallMicroseconds, track, d.Bytes);
            }
        }

        journal.End(datagrams[^1].WallMicroseconds + 200_000);
        output.WriteLine($"captured {datagrams.Count} datagrams ({datagrams.Count(d => d.Rtcp)} RTCP) in {(datagrams[^1].WallMicroseconds - datagrams[0].WallMicroseconds) / 1e6:0.00} s");
        return path;
    }

    [Fact]
    public async Task The_review_copy_of_two_real_senders_keeps_each_partys_flash_and_beep_together_and_lasts_the_visit()
    {
        string journal = await CaptureJournalAsync();
        string mp4 = Path.Combine(_directory, "out", "review.mp4");
        var reports = new List<double>();
        var progress = new SynchronousProgress(reports.Add);
        // A generous time limit: FFmpeg runs at nice 19, and on a loaded test machine that can be many times real time.
        var renderer = new ReviewRenderer(NullLogger<ReviewRenderer>.Instance, new ReviewRenderOptions
        {
            TileWidth = TileWidth,
            TileHeight = TileHeight,
            TimeLimitMinimum = TimeSpan.FromMinutes(30),
        });

        var clock = Stopwatch.StartNew();
        var timeline = await renderer.RenderAsync(journal, mp4, "visit-render", progress, CancellationToken.None);
        output.WriteLine($"rendered {timeline.Duration.TotalSeconds:0.000} s in {clock.Elapsed.TotalSeconds:0.0} s");
        foreach (var t in timeline.TrackTimelines)
        {
            output.WriteLine($"track {t.TrackId} {t.Participant} {t.Kind} {t.Codec}: {t.Alignment}, {t.Segments.Sum(x => x.SenderReportCount)} sender reports, moved {t.Segments.Sum(x => x.ReanchoredMicroseconds) / 1000.0:0.0} ms");
        }

        // FFmpeg's reports are anchored to when it sent its first packet; where that contradicts the arrivals, the
        // analysis re-anchors them (docs/recording-review-copy.md). Either way the reports give the timing.
        Assert.All(timeline.Tracks, t => Assert.Contains(t.Alignment, (string[])["rtcp-sr", "rtcp-sr-reanchored"]));
        Assert.Equal(["inmate-7", "visitor-9"], timeline.Parties.Select(p => p.Participant));
        Assert.Equal(1.0, reports[^1]);
        Assert.True(reports.Count > 2 && reports.Zip(reports.Skip(1)).All(p => p.Second >= p.First), string.Join(", ", reports));
        Assert.Equal(["review.mp4"], Directory.GetFileSystemEntries(Path.GetDirectoryName(mp4)!).Select(Path.GetFileName));

        // Streams and duration.
        var probe = await ProcessRunner.RunAsync("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,codec_type,width,height:format=duration", "-of", "json", mp4], TimeSpan.FromSeconds(30));
        using var json = JsonDocument.Parse(probe.Stdout);
        var streams = json.RootElement.GetProperty("streams").EnumerateArray().ToList();
        Assert.Contains(streams, s => s.GetProperty("codec_name").GetString() == "h264" && s.GetProperty("width").GetInt32() == 2 * TileWidth);
        Assert.Contains(streams, s => s.GetProperty("codec_name").GetString() == "aac");
        double duration = double.Parse(json.RootElement.GetProperty("format").GetProperty("duration").GetString()!, CultureInfo.InvariantCulture);
        output.WriteLine($"MP4 duration {duration:0.000} s, timeline {timeline.Duration.TotalSeconds:0.000} s");
        Assert.InRange(duration - timeline.Duration.TotalSeconds, -0.5, 0.5);

        // Lip sync within each party.
        var flashes = new List<double>[2];
        for (int p = 0; p < 2; p++)
        {
            var party = p == 0 ? Kiosk : Visitor;
            flashes[p] = await AvSyncProbe.FlashOnsetsAsync(mp4, p * TileWidth, _directory);
            var beeps = await AvSyncProbe.BeepOnsetsAsync(mp4, party.BeepHz);
            output.WriteLine($"{party.Participant}: flashes at {Join(flashes[p])} s; {party.BeepHz} Hz beeps at {Join(beeps)} s");
            var offsets = flashes[p]
                .Select(f => (Flash: f, Beep: beeps.Count > 0 ? beeps.MinBy(b => Math.Abs(b - f)) : double.NaN))
                .Where(pair => Math.Abs(pair.Flash - pair.Beep) < 0.5)
                .Select(pair => pair.Flash - pair.Beep)
                .ToList();
            output.WriteLine($"{party.Participant}: flash − beep = {string.Join(", ", offsets.Select(o => $"{o * 1000:+0;-0} ms"))}");
            Assert.True(offsets.Count >= 2, $"{party.Participant}: fewer than two flash/beep pairs found");
            Assert.All(offsets, o => Assert.InRange(o, -0.060, 0.060));
        }

        // The parties' own flashes are where each sender put them (their processes started 0.7 s apart, plus FFmpeg's start-up).
        output.WriteLine($"visitor's first flash {flashes[1][0] - flashes[0][0]:0.000} s after the kiosk's");
        Assert.NotEqual(flashes[0][0], flashes[1][0], 0.1);
    }

    private static string Join(IEnumerable<double> times) => string.Join(", ", times.Select(t => t.ToString("0.000", CultureInfo.InvariantCulture)));


    [Fact]
    public async Task A_failing_ffmpeg_throws_with_its_error_output_and_leaves_no_file_behind()
    {
        string journal = Path.Combine(_directory, "small.msj");
        long t0 = JournalBuilder.Micros(DateTimeOffset.UtcNow);
        using (var builder = new JournalBuilder(journal, t0))
        {
            builder.Begin(t0, "visit-x", ("inmate-1", "A"));
            builder.Track(t0, 1, "inmate-1", "kiosk", "audio", 48000, (111, "opus"));
            for (int k = 0; k < 100; k++)
            {
                builder.Rtp(t0 + (k * 20_000), 1, 5, (ushort)k, (uint)(k * 960), 111, true, [0xF8, 0xFF, 0xFE]);
            }

            builder.End(t0 + 2_000_000);
        }

        string mp4 = Path.Combine(_directory, "failed", "review.mp4");
        var renderer = new ReviewRenderer(NullLogger<ReviewRenderer>.Instance, new ReviewRenderOptions { X264Preset = "no-such-preset" });

        var error = await Assert.ThrowsAsync<ReviewRenderException>(() => renderer.RenderAsync(journal, mp4, "visit-x", null, CancellationToken.None));

        output.WriteLine(error.Message);
        Assert.Contains("no-such-preset", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(Path.GetDirectoryName(mp4)!));
    }

    [Fact]
    public async Task A_missing_ffmpeg_binary_is_a_render_error_not_a_crash()
    {
        string journal = Path.Combine(_directory, "small.msj");
        long t0 = JournalBuilder.Micros(DateTimeOffset.UtcNow);
        using (var builder = new JournalBuilder(journal, t0))
        {
            builder.Begin(t0, "visit-x", ("inmate-1", "A"));
            builder.End(t0 + 1_000_000);
        }

        string mp4 = Path.Combine(_directory, "missing", "review.mp4");
        var renderer = new ReviewRenderer(NullLogger<ReviewRenderer>.Instance, new ReviewRenderOptions { FfmpegFolder = Path.Combine(_directory, "nowhere") });

        var error = await Assert.ThrowsAsync<ReviewRenderException>(() => renderer.RenderAsync(journal, mp4, "visit-x", null, CancellationToken.None));
        Assert.Contains("not found", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.GetDirectoryName(mp4)) && Directory.GetFileSystemEntries(Path.GetDirectoryName(mp4)!).Length > 0);
    }

    /// <summary>Progress that records on the reporting thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<double> report) : IProgress<double>
    {
        private readonly Lock _lock = new();

        public void Report(double value)
        {
            lock (_lock)
            {
                report(value);
            }
        }
    }
}
