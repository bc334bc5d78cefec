using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using MediaServer.Testing;
using MediaServer.Testing.Ffmpeg;
using MediaServer.Testing.WebRtc;
using MediaServer.WebRtcTests.Harness;
using Xunit.Abstractions;

namespace MediaServer.WebRtcTests;

/// <summary>
/// Issue 5: an officer taps a visit between real peers (an FFmpeg plain-RTP kiosk and a Chromium visitor) through WebRTC
/// (Chromium, receive-only, one video and one audio slot per party) and through plain RTP (FFmpeg decoding into framecrc);
/// both taps get every party's video and audio, the first tap frame comes within a second of the tap connecting, and the
/// participants see nothing new.
/// </summary>
public sealed class TapTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Media = TimeSpan.FromSeconds(30);

    /// <summary>Offers two recvonly pairs (video, audio per party), posts to /taps, and times each slot's first media.</summary>
    private const string OpenTapScript = """
        async ({ visitId, token, parties }) => {
          const pc = new RTCPeerConnection();
          const t = { answerAt: null, connectedAt: null, firstVideo: {}, firstAudio: {} };
          window.tapPc = pc;
          window.tapTimings = t;
          for (let i = 0; i < parties; i++) {
            pc.addTransceiver('video', { direction: 'recvonly' });
            pc.addTransceiver('audio', { direction: 'recvonly' });
          }
          pc.addEventListener('connectionstatechange', () => {
            if (pc.connectionState === 'connected' && t.connectedAt === null) t.connectedAt = performance.now();
          });
          await pc.setLocalDescription(await pc.createOffer());
          await new Promise((resolve) => {
            if (pc.iceGatheringState === 'complete') return resolve();
            const timer = setTimeout(resolve, 3000);
            pc.addEventListener('icegatheringstatechange', () => {
              if (pc.iceGatheringState === 'complete') { clearTimeout(timer); resolve(); }
            });
          });
          const response = await fetch(`/api/visits/${visitId}/taps`, {
            method: 'POST', headers: { 'Authorization': 'Bearer ' + token, 'Content-Type': 'application/sdp' },
            body: pc.localDescription.sdp });
          const body = await response.text();
          if (response.status !== 201) return JSON.stringify({ status: response.status, body });
          t.answerAt = performance.now();
          await pc.setRemoteDescription({ type: 'answer', sdp: body });
          // getStats every 10 ms: when each slot decoded its first frame (video) or got its first packet (audio).
          const poll = async () => {
            if (pc.connectionState === 'closed') return;
            const now = performance.now();
            (await pc.getStats()).forEach((s) => {
              if (s.type !== 'inbound-rtp') return;
              if (s.kind === 'video' && (s.framesDecoded ?? 0) > 0 && t.firstVideo[s.mid] === undefined) t.firstVideo[s.mid] = now;
              if (s.kind === 'audio' && (s.packetsReceived ?? 0) > 0 && t.firstAudio[s.mid] === undefined) t.firstAudio[s.mid] = now;
            });
            setTimeout(poll, 10);
          };
          poll();
          return JSON.stringify({ status: 201, location: response.headers.get('Location'), answer: body });
        }
        """;

    private const string TapStatsScript = """
        async () => {
          const pc = window.tapPc;
          const mids = (kind) => pc.getTransceivers().filter((x) => x.receiver.track.kind === kind).map((x) => x.mid);
          const inbound = [];
          (await pc.getStats()).forEach((s) => {
            if (s.type === 'inbound-rtp') inbound.push({ kind: s.kind, mid: s.mid ?? null, packetsReceived: s.packetsReceived ?? 0,
              framesDecoded: s.framesDecoded ?? 0, frameWidth: s.frameWidth ?? 0, frameHeight: s.frameHeight ?? 0 });
          });
          return JSON.stringify({ connectionState: pc.connectionState, videoMids: mids('video'), audioMids: mids('audio'),
            inbound, timings: window.tapTimings });
        }
        """;

    private sealed record TapOpened(int Status, string? Location, string? Answer, string? Body);

    private sealed record TapInbound(string Kind, string? Mid, long PacketsReceived, long FramesDecoded, int FrameWidth, int FrameHeight);

    private sealed record TapTimings(double? AnswerAt, double? ConnectedAt, Dictionary<string, double> FirstVideo, Dictionary<string, double> FirstAudio);

    private sealed record TapStats(string ConnectionState, List<string?> VideoMids, List<string?> AudioMids, List<TapInbound> Inbound, TapTimings Timings)
    {
        public TapInbound? Video(int slot) => Inbound.FirstOrDefault(s => s.Kind == "video" && s.Mid == VideoMids[slot]);

        public TapInbound? Audio(int slot) => Inbound.FirstOrDefault(s => s.Kind == "audio" && s.Mid == AudioMids[slot]);

        /// <summary>Every party's video decoding and audio arriving.</summary>
        public bool AllFlowing(int parties, long frames, long packets) => Enumerable.Range(0, parties).All(i =>
            Video(i)?.FramesDecoded >= frames && Audio(i)?.PacketsReceived >= packets);
    }

    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    [Fact]
    public async Task An_officer_taps_an_ffmpeg_and_chromium_visit_through_webrtc_and_plain_rtp_and_the_parties_see_nothing()
    {
        await using var scenario = await Scenario.StartAsync(output);
        var visit = await scenario.Api.CreateVisitAsync(visitors: 1);
        var officer = await scenario.Server.MintTokenAsync("officer", "officer-7");
        var kiosk = scenario.Own(new FfmpegLivePeer(Path.Combine(scenario.Artifacts, "ffmpeg-kiosk")) { VideoSize = "320x240" });
        await kiosk.JoinAsync(scenario.Server.Api, visit.Id, visit.KioskToken);
        kiosk.StartReceiving();
        kiosk.StartSending(TimeSpan.FromSeconds(180));
        var visitor = await scenario.OpenVisitAsync(visit.VisitorTokens[0], "visitor");
        await visitor.WaitForStateAsync("connected", Media);
        await ChromiumInteropTests.AssertMediaFlowsAsync(scenario, visitor);
        await Poll.UntilAsync(() => Task.FromResult(kiosk.ReceivedFrames()), f => f.Video > 0 && f.Audio > 0, Media,
            "the FFmpeg kiosk to decode the visitor");
        var participantsBefore = await ParticipantsAsync(scenario, visit.Id);
        var visitorBefore = await visitor.StatsAsync();

        // The WebRTC tap: Chromium on a page of the server's origin, receive-only, a video and an audio slot per party.
        var tapPage = await (await scenario.ChromiumAsync()).OpenAsync(new Uri(scenario.Server.BaseAddress, "/healthz"), "officer-tap");
        var opened = JsonSerializer.Deserialize<TapOpened>(await tapPage.Page.EvaluateAsync<string>(OpenTapScript,
            new { visitId = visit.Id, token = officer, parties = 2 }), Json)!;
        Assert.True(opened.Status == 201, $"WebRTC tap → {opened.Status}: {opened.Body}");
        Assert.Matches($"^/api/visits/{visit.Id}/taps/[0-9a-f]+$", opened.Location);
        scenario.Log("WebRTC tap answer:\n" + opened.Answer);
        Assert.Equal(4, opened.Answer!.Split('\n').Count(l => l.TrimEnd('\r') == "a=sendonly"));

        // The plain-RTP tap: FFmpeg listens first, then the offer is posted.
        var ffmpegTap = scenario.Own(new FfmpegTap(Path.Combine(scenario.Artifacts, "ffmpeg-tap"), parties: 2));
        ffmpegTap.StartReceiving();
        var plain = await PostTapAsync(scenario, visit.Id, officer, ffmpegTap.Offer);
        Assert.True(plain.Status == HttpStatusCode.Created, $"plain-RTP tap → {(int)plain.Status}: {plain.Body}");

        var stats = await Poll.UntilAsync(() => TapStatsAsync(tapPage), s => s.AllFlowing(2, 30, 50), Media,
            "the WebRTC tap to decode both parties' video and receive both parties' audio");
        scenario.Log($"WebRTC tap: {JsonSerializer.Serialize(stats.Inbound)}");
        // Slot 0 is the kiosk (FFmpeg's 320x240 test pattern), slot 1 the visitor (Chromium's fake camera, larger).
        Assert.Equal((320, 240), (stats.Video(0)!.FrameWidth, stats.Video(0)!.FrameHeight));
        Assert.True(stats.Video(1)!.FrameWidth > 320, $"the visitor's slot shows {stats.Video(1)!.FrameWidth}x{stats.Video(1)!.FrameHeight}");
        var timings = stats.Timings;
        Assert.NotNull(timings.ConnectedAt);
        var firstFrames = stats.VideoMids.Select(mid => timings.FirstVideo[mid!] - timings.ConnectedAt!.Value).ToList();
        var firstAudio = stats.AudioMids.Select(mid => timings.FirstAudio[mid!] - timings.ConnectedAt!.Value).ToList();
        scenario.Log($"WebRTC tap: connected {timings.ConnectedAt - timings.AnswerAt:0} ms after the answer; first decoded frame "
            + $"{firstFrames[0]:0} ms (kiosk, FFmpeg: ignores PLI, so the server replays its cached keyframe) and {firstFrames[1]:0} ms "
            + $"(visitor, Chromium) after connecting; first audio {firstAudio[0]:0} / {firstAudio[1]:0} ms");
        Assert.True(firstFrames[0] < 1000, $"the kiosk's first frame at the tap came {firstFrames[0]:0} ms after it connected");
        Assert.True(firstFrames[1] < 1000, $"the visitor's first frame at the tap came {firstFrames[1]:0} ms after it connected");

        long[] frames;
        try
        {
            frames = await Poll.UntilAsync(() => Task.FromResult(ffmpegTap.FramesPerSlot()), f => f.All(n => n >= 30), Media,
                "the FFmpeg tap to decode every slot");
        }
        finally
        {
            scenario.Log(ffmpegTap.Log);
        }
        scenario.Log($"FFmpeg tap frames per slot (kiosk video, kiosk audio, visitor video, visitor audio): {string.Join(", ", frames)}");

        // The participants: same participants in the API, the visitor's page still has exactly its own inbound streams.
        Assert.Equal(participantsBefore, await ParticipantsAsync(scenario, visit.Id));
        var visitorAfter = await visitor.StatsAsync();
        Assert.Equal(Mids(visitorBefore!), Mids(visitorAfter!));
        var afterFrames = kiosk.ReceivedFrames();
        await Poll.UntilAsync(() => Task.FromResult(kiosk.ReceivedFrames()), f => f.Video >= afterFrames.Video + 30, Media,
            "the kiosk to keep decoding the visitor with two taps open");

        // WHEP-style DELETE of both taps.
        foreach (var location in new[] { opened.Location!, plain.Location! })
        {
            Assert.Equal(HttpStatusCode.NoContent, await DeleteAsync(scenario, location, officer));
        }
        ChromiumInteropTests.AssertNoScriptErrors(visitor);
    }

    private static async Task<TapStats> TapStatsAsync(VisitPage page) =>
        JsonSerializer.Deserialize<TapStats>(await page.Page.EvaluateAsync<string>(TapStatsScript), Json)!;

    private static string Mids(PeerStats stats) =>
        string.Join(",", stats.Inbound.Select(s => $"{s.Kind}:{s.Mid}").Order(StringComparer.Ordinal));

    private static async Task<string> ParticipantsAsync(Scenario scenario, string visitId)
    {
        using var document = JsonDocument.Parse(await scenario.Api.DescribeAsync(visitId));
        return string.Join(";", document.RootElement.GetProperty("participants").EnumerateArray()
            .Select(p => p.GetProperty("id").GetString() + "/" + p.GetProperty("role").GetString()));
    }

    private static async Task<JoinReply> PostTapAsync(Scenario scenario, string visitId, string token, string offer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/visits/{visitId}/taps")
        {
            Content = new StringContent(offer, Encoding.UTF8, "application/sdp"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await scenario.Server.Http.SendAsync(request);
        return new JoinReply(response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Location?.OriginalString);
    }

    private static async Task<HttpStatusCode> DeleteAsync(Scenario scenario, string location, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, location);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await scenario.Server.Http.SendAsync(request);
        return response.StatusCode;
    }
}
