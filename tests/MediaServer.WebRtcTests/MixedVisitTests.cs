using System.Text.Json;
using MediaServer.Codecs.Recording;
using MediaServer.Recording;
using MediaServer.Recording.Journal;
using MediaServer.Testing;
using MediaServer.Testing.Ffmpeg;
using MediaServer.WebRtcTests.Harness;
using Xunit.Abstractions;

namespace MediaServer.WebRtcTests;

/// <summary>
/// A plain-RTP kiosk (FFmpeg) and a WebRTC visitor (Chromium) in one visit: the relay bridges the two leg kinds, and the
/// recording marks the visitor's tracks authenticated (SRTP) and the kiosk's not.
/// </summary>
public sealed class MixedVisitTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Plain_rtp_kiosk_and_chromium_visitor_receive_each_other()
    {
        await using var scenario = await Scenario.StartAsync(output);
        var visit = await scenario.Api.CreateVisitAsync(visitors: 1);
        var ffmpeg = scenario.Own(new FfmpegLivePeer(Path.Combine(scenario.Artifacts, "ffmpeg-kiosk")));
        await ffmpeg.JoinAsync(scenario.Server.Api, visit.Id, visit.KioskToken);
        ffmpeg.StartReceiving();
        ffmpeg.StartSending(TimeSpan.FromSeconds(120));

        var visitor = await scenario.OpenVisitAsync(visit.VisitorTokens[0], "visitor");
        await visitor.WaitForStateAsync("connected", TimeSpan.FromSeconds(30));
        await ChromiumInteropTests.AssertMediaFlowsAsync(scenario, visitor);
        await visitor.WaitForRemoteTileAsync(TimeSpan.FromSeconds(30));
        await visitor.ScreenshotAsync(scenario.Artifacts);
        scenario.Log("server view: " + await scenario.Api.DescribeAsync(visit.Id));

        // FFmpeg decodes the visitor's video and audio, and keeps decoding more of both.
        var first = await Poll.UntilAsync(() => Task.FromResult(ffmpeg.ReceivedFrames()), f => f.Video > 0 && f.Audio > 0,
            TimeSpan.FromSeconds(30), "FFmpeg kiosk to decode the visitor's video and audio");
        var (video, audio) = await Poll.UntilAsync(() => Task.FromResult(ffmpeg.ReceivedFrames()),
            f => f.Video >= first.Video + 30 && f.Audio >= first.Audio + 50, TimeSpan.FromSeconds(30),
            "FFmpeg kiosk to decode 30 more video and 50 more audio frames");
        scenario.Log($"ffmpeg kiosk decoded from the Chromium visitor: video {first.Video} → {video} frames, audio {first.Audio} → {audio} frames");
        ChromiumInteropTests.AssertNoScriptErrors(visitor);

        // The recording says which media was authenticated: the Chromium visitor's (SRTP) yes, the plain-RTP kiosk's no.
        var journal = Path.Combine(scenario.Server.DataDirectory, "recordings", visit.Id, VisitRecorder.JournalFileName);
        var tracks = await Poll.UntilAsync(() => Task.FromResult(TrackRecords(journal)),
            t => t.Any(x => x.Participant == "i1") && t.Any(x => x.Participant == "v1"), TimeSpan.FromSeconds(30),
            "the journal's Track records of both parties");
        scenario.Log("journal tracks: " + string.Join(", ", tracks));
        Assert.All(tracks.Where(t => t.Participant == "i1"), t => Assert.False(t.Authenticated));
        Assert.All(tracks.Where(t => t.Participant == "v1"), t => Assert.True(t.Authenticated));
    }

    private sealed record JournalTrack(string Participant, string Kind, bool Authenticated);

    private static List<JournalTrack> TrackRecords(string journal)
    {
        var tracks = new List<JournalTrack>();
        if (!File.Exists(journal))
        {
            return tracks;
        }
        JournalScanner.Scan(journal, (in JournalRecord record, long offset) =>
        {
            if (record.Type == JournalRecordType.Track)
            {
                using var json = JsonDocument.Parse(record.JsonBody.ToArray());
                var root = json.RootElement;
                tracks.Add(new JournalTrack(root.GetProperty("participant").GetString()!, root.GetProperty("kind").GetString()!,
                    root.GetProperty("authenticated").GetBoolean()));
            }
        });
        return tracks;
    }
}
