using System.Diagnostics;
using System.Net;
using System.Text.Json;
using MediaServer.Testing;
using MediaServer.Testing.Ffmpeg;
using MediaServer.Testing.Sdp;
using Xunit.Abstractions;

namespace MediaServer.LoadGen;

/// <summary>
/// --render-visit S, for bench/relay/run.sh's on-render rows: one recorded two-party visit with real media (FFmpeg sends a
/// test pattern and a tone each way for S seconds, H.264 and Opus), left open and silent while the load runs. Ending it
/// seals its journal, and the server's render queue renders its review copy at once, as after any visit: that is the render
/// the bench starts inside its measuring window, against the live load.
/// </summary>
internal sealed class RenderVisit : IAsyncDisposable
{
    private readonly ServerProcess _server;
    private readonly string _officer;
    private readonly string _visitId;
    private readonly List<FfmpegPeer> _peers;
    private readonly string _directory;

    private RenderVisit(ServerProcess server, string officer, string visitId, List<FfmpegPeer> peers, string directory)
    {
        _server = server;
        _officer = officer;
        _visitId = visitId;
        _peers = peers;
        _directory = directory;
    }

    /// <summary>Schedules the visit, joins both parties and waits until each has sent <paramref name="seconds"/> of media.</summary>
    public static async Task<RenderVisit> PrepareAsync(ServerProcess server, string officer, int seconds, ITestOutputHelper log, CancellationToken cancellation)
    {
        // 1. The visit and its two parties, each an FFmpeg peer offering H.264 video and Opus audio.
        var now = DateTimeOffset.UtcNow;
        var request = new CreateVisitRequest(new PersonDto("render-inmate", "Render Inmate"), [new PersonDto("render-visitor", "Render Visitor")], now, now.AddHours(1));
        var visit = await server.Api.CreateVisitAsync(officer, request, cancellation).ConfigureAwait(false);
        var directory = Directory.CreateTempSubdirectory("relaybench-render-").FullName;
        var peers = new List<FfmpegPeer>
        {
            new("kiosk", PartyMedia.Kiosk, VideoCodec.H264, 1, 1, directory, log),
            new("visitor", PartyMedia.Visitor1, VideoCodec.H264, 2, 1, directory, log),
        };
        var render = new RenderVisit(server, officer, visit.Id, peers, directory);
        try
        {
            // 2. Both join (kiosk first), then both send for the given time.
            var ids = visit.Participants.OrderByDescending(p => p.Role == "kiosk").Select(p => p.Id).ToList();
            var answers = new List<string>();
            for (var i = 0; i < peers.Count; i++)
            {
                var token = (await server.Api.MintParticipantTokenAsync(officer, visit.Id, ids[i], cancellation).ConfigureAwait(false)).Token;
                answers.Add((await server.Api.JoinAsync(token, visit.Id, peers[i].OfferSdp, cancellation: cancellation).ConfigureAwait(false)).AnswerSdp);
            }
            for (var i = 0; i < peers.Count; i++)
            {
                peers[i].StartSending(answers[i], TimeSpan.FromSeconds(seconds));
            }
            foreach (var peer in peers)
            {
                await peer.WaitUntilSentAsync(TimeSpan.FromSeconds(seconds + 60)).ConfigureAwait(false);
            }
            return render;
        }
        catch
        {
            await render.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The longest the bench waits for the review copy after the visit ends.</summary>
    private static readonly TimeSpan RenderWait = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Ends the visit (the render starts when its journal is sealed) and waits until the recording is rendered or failed, at
    /// most <see cref="RenderWait"/>; returns the state ("not_rendered" past that) and the seconds from the end to it.
    /// </summary>
    public async Task<(string State, double Seconds)> EndAndWaitForRenderAsync(CancellationToken cancellation)
    {
        var watch = Stopwatch.StartNew();
        await _server.Api.TerminateAsync(_officer, _visitId, "relay bench: render during load").ConfigureAwait(false);
        var investigator = await _server.MintTokenAsync("investigator", "relaybench").ConfigureAwait(false);
        try
        {
            var state = await Poll.UntilAsync(() => RecordingStateAsync(investigator, cancellation), s => s is "rendered" or "render_failed",
                RenderWait, "the render visit's review copy", TimeSpan.FromMilliseconds(250)).ConfigureAwait(false);
            return (state, watch.Elapsed.TotalSeconds);
        }
        catch (TimeoutException)
        {
            return ("not_rendered", watch.Elapsed.TotalSeconds);
        }
    }

    private async Task<string> RecordingStateAsync(string investigator, CancellationToken cancellation)
    {
        var response = await _server.Api.SendAsync(HttpMethod.Get, $"api/recordings/{_visitId}", investigator, cancellation: cancellation).ConfigureAwait(false);
        if (response.Status != HttpStatusCode.OK)
        {
            return "status " + (int)response.Status;
        }
        using var json = JsonDocument.Parse(response.Body);
        return json.RootElement.GetProperty("recording").GetProperty("state").GetString() ?? "";
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var peer in _peers)
        {
            await peer.DisposeAsync().ConfigureAwait(false);
        }
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A receiver's file still open: left in the temporary directory.
        }
    }
}
