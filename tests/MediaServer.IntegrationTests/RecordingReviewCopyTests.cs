using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MediaServer.Codecs.Recording;
using MediaServer.Recording;
using MediaServer.Recording.Journal;
using MediaServer.Recording.Manifest;
using MediaServer.Testing;
using MediaServer.Testing.Ffmpeg;
using MediaServer.Testing.Sdp;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests;

/// <summary>
/// The review copy of a real visit: the real server records a kiosk (VP8) and a visitor (H.264), each an FFmpeg sending
/// the flash-and-beep clip (docs/peers.md) with its own beep frequency, and renders it when the visit ends. The MP4 is measured
/// with FFmpeg filters: each party's flash (signalstats on its tile) and beep (bandpass + silencedetect) must coincide
/// within 60 ms, and it must be H.264 + AAC lasting the recording within 0.5 s.
/// </summary>
[Collection(FfmpegMediaCollection.Name)]
public sealed class RecordingReviewCopyTests(ITestOutputHelper output)
{
    private const int TileWidth = 640;
    private const double ClipSeconds = 7;

    private sealed record Sender(string Name, VideoCodec Codec, int BeepHz);

    private static readonly Sender Kiosk = new("kiosk", VideoCodec.Vp8, 1000);
    private static readonly Sender Visitor = new("visitor", VideoCodec.H264, 2500);

    [Fact]
    public async Task A_recorded_visit_renders_to_an_mp4_where_each_partys_flash_and_beep_coincide()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var sinks = new List<UdpClient>();
        var senders = new List<ChildProcess>();
        try
        {
            var now = DateTimeOffset.UtcNow;
            var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: now, end: now.AddSeconds(90));
            var kioskAnswer = await JoinAsync(server, visit.KioskToken, visit.Id, Kiosk, sinks);
            var visitorAnswer = await JoinAsync(server, visit.VisitorToken(1), visit.Id, Visitor, sinks);

            senders.Add(StartSender(Kiosk, kioskAnswer));
            await Task.Delay(700); // the visitor's clip starts later: the two parties' flashes do not coincide
            senders.Add(StartSender(Visitor, visitorAnswer));
            foreach (var sender in senders)
            {
                Assert.True(await sender.WaitForExitAsync(TimeSpan.FromSeconds(60)), sender.Describe());
                Assert.True(sender.ExitCode == 0, sender.Describe());
            }

            await server.Api.TerminateAsync(visit.OfficerToken, visit.Id, "review copy test");
            var investigator = await server.MintTokenAsync("investigator", "inv-1");
            var recording = await Poll.UntilAsync(
                async () =>
                {
                    var response = await server.Api.SendAsync(HttpMethod.Get, $"api/recordings/{visit.Id}", investigator);
                    return response.Status == HttpStatusCode.OK ? JsonDocument.Parse(response.Body).RootElement.Clone() : default;
                },
                r => r.ValueKind == JsonValueKind.Object && r.GetProperty("recording").GetProperty("state").GetString() is "rendered" or "render_failed",
                TimeSpan.FromSeconds(120),
                "the recording to be rendered",
                TimeSpan.FromMilliseconds(250));
            output.WriteLine(recording.ToString());
            Assert.Equal("rendered", recording.GetProperty("recording").GetProperty("state").GetString());

            string folder = Path.Combine(server.DataDirectory, "recordings", visit.Id);
            string mp4 = Path.Combine(folder, RecordingManifest.ReviewCopyFileName);
            var (firstMedia, end) = JournalSpan(Path.Combine(folder, VisitRecorder.JournalFileName));
            double recorded = (end - firstMedia).TotalSeconds;

            var probe = await ProcessRunner.RunAsync("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,width:format=duration", "-of", "json", mp4],
                TimeSpan.FromSeconds(30), new Dictionary<string, string>(), folder);
            using var json = JsonDocument.Parse(probe.StdoutText);
            var codecs = json.RootElement.GetProperty("streams").EnumerateArray().Select(s => s.GetProperty("codec_name").GetString()).ToList();
            double duration = double.Parse(json.RootElement.GetProperty("format").GetProperty("duration").GetString()!, CultureInfo.InvariantCulture);
            // The recording runs from the capture time of its earliest media to the End record. FFmpeg senders send their
            // first packets late (start-up), so that is earlier than the first packet's arrival by up to their backlog.
            double recordingSeconds = recording.GetProperty("recording").GetProperty("durationSeconds").GetDouble();
            output.WriteLine($"MP4 streams {string.Join(", ", codecs)}; duration {duration:0.000} s; recording {recordingSeconds:0.000} s; journal from first RTP arrival to End {recorded:0.000} s");
            Assert.Contains("h264", codecs);
            Assert.Contains("aac", codecs);
            Assert.InRange(duration - recordingSeconds, -0.5, 0.5);
            Assert.InRange(recordingSeconds - recorded, 0, 1.5);

            string manifest = await File.ReadAllTextAsync(Path.Combine(folder, RecordingManifest.FileName));
            output.WriteLine("manifest tracks: " + string.Join("; ", JsonDocument.Parse(manifest).RootElement.GetProperty("tracks").EnumerateArray().Select(t => t.ToString())));

            for (int p = 0; p < 2; p++)
            {
                var sender = p == 0 ? Kiosk : Visitor;
                var flashes = await AvSyncProbe.FlashOnsetsAsync(mp4, p * TileWidth, folder);
                var beeps = await AvSyncProbe.BeepOnsetsAsync(mp4, sender.BeepHz, folder);
                output.WriteLine($"{sender.Name}: flashes at {Join(flashes)} s; {sender.BeepHz} Hz beeps at {Join(beeps)} s");
                var offsets = flashes
                    .Select(f => f - (beeps.Count > 0 ? beeps.MinBy(b => Math.Abs(b - f)) : double.NaN))
                    .Where(o => Math.Abs(o) < 0.5)
                    .ToList();
                output.WriteLine($"{sender.Name}: flash − beep = {string.Join(", ", offsets.Select(o => $"{o * 1000:+0;-0} ms"))}");
                Assert.True(offsets.Count >= 2, $"{sender.Name}: fewer than two flash/beep pairs in the review copy");
                Assert.All(offsets, o => Assert.InRange(o, -0.060, 0.060));
            }
        }
        finally
        {
            foreach (var sender in senders)
            {
                await sender.DisposeAsync();
            }

            foreach (var sink in sinks)
            {
                sink.Dispose();
            }
        }
    }

    private sealed record Answer(string Address, int VideoPort, int VideoPt, int AudioPort, int AudioPt);

    /// <summary>Offers sendrecv video + audio on ports held open (what the server relays is not read here) and joins.</summary>
    private static async Task<Answer> JoinAsync(ServerProcess server, string token, string visitId, Sender sender, List<UdpClient> sinks)
    {
        int videoPort = PortAllocator.FreeClientRtpPair();
        int audioPort = PortAllocator.FreeClientRtpPair();
        foreach (int port in (int[])[videoPort, videoPort + 1, audioPort, audioPort + 1])
        {
            sinks.Add(new UdpClient(new IPEndPoint(IPAddress.Loopback, port)));
        }

        // Both codecs offered (its own first): the relay does not transcode, so each party must be able to receive the other's.
        var other = sender.Codec == VideoCodec.Vp8 ? VideoCodec.H264 : VideoCodec.Vp8;
        var offer = new PlainRtpOffer().AddVideo(videoPort, MediaDirection.SendRecv, sender.Codec, other).AddAudio(audioPort);
        var join = await server.Api.JoinAsync(token, visitId, offer.Build());
        var answer = SdpDescription.Parse(join.AnswerSdp);
        var video = answer.Media.First(m => m.Kind == "video");
        var audio = answer.Media.First(m => m.Kind == "audio");
        return new Answer(
            video.ConnectionAddress ?? "127.0.0.1",
            video.Port,
            video.PayloadTypeOf(sender.Codec == VideoCodec.Vp8 ? "VP8" : "H264") ?? throw new InvalidOperationException(join.AnswerSdp),
            audio.Port,
            audio.PayloadTypeOf("opus") ?? throw new InvalidOperationException(join.AnswerSdp));
    }

    /// <summary>FFmpeg sending the flash-and-beep clip as RTP with its RTCP sender reports (to port + 1, from source port + 1).</summary>
    private static ChildProcess StartSender(Sender sender, Answer answer)
    {
        string seconds = ClipSeconds.ToString(CultureInfo.InvariantCulture);
        int videoSource = PortAllocator.FreeClientRtpPair();
        int audioSource = PortAllocator.FreeClientRtpPair();
        var args = new List<string>
        {
            "-hide_banner", "-nostdin", "-nostats", "-loglevel", "warning",
            "-re", "-t", seconds, "-f", "lavfi",
            "-i", "testsrc2=size=320x240:rate=30,drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='lt(mod(t\\,2)\\,0.1)'",
            "-re", "-t", seconds, "-f", "lavfi",
            "-i", $"sine=frequency={sender.BeepHz}:sample_rate=48000:samples_per_frame=480,volume='if(lt(mod(t\\,2)\\,0.1)\\,1\\,0)':eval=frame",
            "-map", "0:v",
        };
        args.AddRange(sender.Codec == VideoCodec.Vp8
            ? ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-lag-in-frames", "0", "-auto-alt-ref", "0", "-b:v", "600k"]
            : ["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-profile:v", "baseline", "-pix_fmt", "yuv420p", "-b:v", "600k"]);
        args.AddRange(["-g", "30", "-payload_type", answer.VideoPt.ToString(CultureInfo.InvariantCulture), "-f", "rtp",
            $"rtp://{answer.Address}:{answer.VideoPort}?localport={videoSource}&pkt_size=1200"]);
        args.AddRange(["-map", "1:a", "-c:a", "libopus", "-payload_type", answer.AudioPt.ToString(CultureInfo.InvariantCulture), "-f", "rtp",
            $"rtp://{answer.Address}:{answer.AudioPort}?localport={audioSource}&pkt_size=1200"]);
        return ChildProcess.Start($"{sender.Name}-send", "ffmpeg", args);
    }

    /// <summary>Wall-clock times of the journal's first RTP record and of its End record.</summary>
    private static (DateTimeOffset FirstMedia, DateTimeOffset End) JournalSpan(string journal)
    {
        var bytes = File.ReadAllBytes(journal);
        var reader = new JournalReader(bytes);
        long first = 0;
        long end = 0;
        while (reader.Read(out var record) == JournalReadStatus.Record)
        {
            if (record.Type == JournalRecordType.Rtp && first == 0)
            {
                first = record.WallClockMicroseconds;
            }

            if (record.Type == JournalRecordType.End)
            {
                end = record.WallClockMicroseconds;
            }
        }

        return (DateTimeOffset.UnixEpoch.AddTicks(first * 10), DateTimeOffset.UnixEpoch.AddTicks(end * 10));
    }

    private static string Join(IEnumerable<double> times) => string.Join(", ", times.Select(t => t.ToString("0.000", CultureInfo.InvariantCulture)));
}
