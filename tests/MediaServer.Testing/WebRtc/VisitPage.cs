using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace MediaServer.Testing.WebRtc;

/// <summary>Counters of one received stream, from RTCPeerConnection.getStats() "inbound-rtp" (W3C webrtc-stats §7.4).</summary>
public sealed record InboundStream(string Kind, string? Mid, long PacketsReceived, long FramesDecoded, long BytesReceived,
    long KeyFramesDecoded, long PliCount)
{
    /// <summary>Packets the receiver counted as missing after retransmissions (RFC 3550 §6.4.1 cumulative lost).</summary>
    public long PacketsLost { get; init; }

    /// <summary>NACK packets the receiver sent (RFC 4585 §6.2.1).</summary>
    public long NackCount { get; init; }

    public long FramesDropped { get; init; }
    public long FreezeCount { get; init; }
    public double TotalFreezesDuration { get; init; }
}

/// <summary>Counters of one sent stream ("outbound-rtp"): keyframes sent and the keyframe requests (PLI/FIR) that asked for them.</summary>
public sealed record OutboundStream(string Kind, string? Mid, long PacketsSent, long FramesEncoded, long KeyFramesEncoded, long PliCount,
    long FirCount, long NackCount)
{
    /// <summary>Why the encoder is holding back ("none", "bandwidth", "cpu"), and what it aims at.</summary>
    public string? QualityLimitationReason { get; init; }
    public double TargetBitrate { get; init; }
    public double FramesPerSecond { get; init; }
    public long FrameWidth { get; init; }
    public long RetransmittedPacketsSent { get; init; }
}

/// <summary>
/// What the page's window.visitPc reports: states, the mids of each slot (slot k = the k-th video and k-th audio transceiver;
/// slot 0 is the sendrecv pair), and per-stream counters.
/// </summary>
public sealed record PeerStats(string ConnectionState, string IceConnectionState, List<string?> VideoMids, List<string?> AudioMids,
    List<InboundStream> Inbound, List<OutboundStream> Outbound)
{
    public InboundStream? Video(int slot) =>
        slot < VideoMids.Count ? Inbound.FirstOrDefault(s => s.Kind == "video" && s.Mid == VideoMids[slot]) : null;

    public InboundStream? Audio(int slot) =>
        slot < AudioMids.Count ? Inbound.FirstOrDefault(s => s.Kind == "audio" && s.Mid == AudioMids[slot]) : null;

    public long FramesDecoded => Video(0)?.FramesDecoded ?? 0;
    public long AudioPackets => Audio(0)?.PacketsReceived ?? 0;
}

/// <summary>window.visitTimings: performance.now() milliseconds of the join, and epoch milliseconds to compare two pages.</summary>
public sealed record VisitTimings(double? OfferPostedAt, double? RemoteDescriptionAt, double? ConnectedAt, double? FirstRemoteFrameAt,
    double? RemoteDescriptionEpoch, double? ConnectedEpoch, double? FirstRemoteFrameEpoch);

/// <summary>One /visit page in Chromium, and the probes the tests read from it.</summary>
public sealed class VisitPage
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    private const string StatsScript = """
        async () => {
          const pc = window.visitPc;
          if (!pc) return JSON.stringify(null);
          const mids = (kind) => pc.getTransceivers().filter((x) => x.receiver.track.kind === kind).map((x) => x.mid);
          const inbound = [], outbound = [];
          (await pc.getStats()).forEach((s) => {
            if (s.type === 'inbound-rtp') inbound.push({ kind: s.kind, mid: s.mid ?? null, packetsReceived: s.packetsReceived ?? 0,
              framesDecoded: s.framesDecoded ?? 0, bytesReceived: s.bytesReceived ?? 0, keyFramesDecoded: s.keyFramesDecoded ?? 0,
              pliCount: s.pliCount ?? 0, packetsLost: s.packetsLost ?? 0, nackCount: s.nackCount ?? 0,
              framesDropped: s.framesDropped ?? 0, freezeCount: s.freezeCount ?? 0, totalFreezesDuration: s.totalFreezesDuration ?? 0 });
            if (s.type === 'outbound-rtp') outbound.push({ kind: s.kind, mid: s.mid ?? null, packetsSent: s.packetsSent ?? 0,
              framesEncoded: s.framesEncoded ?? 0, keyFramesEncoded: s.keyFramesEncoded ?? 0, pliCount: s.pliCount ?? 0,
              firCount: s.firCount ?? 0, nackCount: s.nackCount ?? 0, qualityLimitationReason: s.qualityLimitationReason ?? null,
              targetBitrate: s.targetBitrate ?? 0, framesPerSecond: s.framesPerSecond ?? 0, frameWidth: s.frameWidth ?? 0,
              retransmittedPacketsSent: s.retransmittedPacketsSent ?? 0 });
          });
          return JSON.stringify({ connectionState: pc.connectionState, iceConnectionState: pc.iceConnectionState,
            videoMids: mids('video'), audioMids: mids('audio'), inbound, outbound });
        }
        """;

    private readonly IBrowserContext _context;
    private readonly ITestOutputHelper _output;
    private readonly List<string> _console = [];
    private readonly Lock _gate = new();

    public string Name { get; }
    public IPage Page { get; }

    /// <summary>The browser profile the page runs in (its storage, cookies); a new tab beside it opens in the same one.</summary>
    public IBrowserContext Context => _context;

    public VisitPage(string name, IBrowserContext context, IPage page, ITestOutputHelper output)
    {
        Name = name;
        _context = context;
        Page = page;
        _output = output;
        page.Console += (_, message) => Record($"console.{message.Type}: {message.Text}", message.Type == "error");
        page.PageError += (_, error) => Record($"pageerror: {error}", isError: true);
    }

    /// <summary>Console errors and uncaught exceptions, in order.</summary>
    public List<string> Errors { get; } = [];

    private void Record(string line, bool isError)
    {
        lock (_gate)
        {
            _console.Add(line);
            if (isError)
            {
                Errors.Add(line);
            }
        }
    }

    public async Task<PeerStats?> StatsAsync() =>
        JsonSerializer.Deserialize<PeerStats>(await Page.EvaluateAsync<string>(StatsScript), Json);

    public async Task<VisitTimings?> TimingsAsync() =>
        JsonSerializer.Deserialize<VisitTimings>(await Page.EvaluateAsync<string>("() => JSON.stringify(window.visitTimings)"), Json);

    /// <summary>body[data-state]: idle, joining, connecting, connected, ended.</summary>
    public Task<string> StateAsync() => Page.EvaluateAsync<string>("() => document.body.dataset.state");

    /// <summary>Waits for body[data-state]; a page that ends while we wait for something else fails at once, saying why.</summary>
    public async Task WaitForStateAsync(string state, TimeSpan timeout)
    {
        var seen = await Poll.UntilAsync(
            () => Page.EvaluateAsync<string>("""
                () => `${document.body.dataset.state} | ${document.getElementById('status')?.textContent ?? ''} | `
                  + (document.getElementById('ended')?.hidden === false ? document.getElementById('ended').innerText.trim() : '')
                """),
            s => s.StartsWith(state + " ", StringComparison.Ordinal) || s.StartsWith("ended ", StringComparison.Ordinal),
            timeout, $"{Name} page state '{state}'");
        if (!seen.StartsWith(state + " ", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{Name} page ended while waiting for '{state}': {seen}");
        }
    }

    /// <summary>Waits until a remote party's tile is on screen with decoded video (what a person would see).</summary>
    public Task WaitForRemoteTileAsync(TimeSpan timeout) =>
        Poll.UntilAsync(() => Page.EvaluateAsync<int>(
                "() => [...document.querySelectorAll('#tiles .tile:not([hidden]) video')].filter(v => v.videoWidth > 0).length"),
            n => n > 0, timeout, $"{Name}: a remote tile showing video");

    public Task<string> EndedTextAsync() =>
        Page.EvaluateAsync<string>("() => document.getElementById('ended')?.hidden === false ? document.getElementById('ended').innerText.trim() : ''");

    /// <summary>Waits until the first slot's remote video has decoded at least <paramref name="frames"/> frames.</summary>
    public Task<PeerStats?> WaitForFramesAsync(long frames, TimeSpan timeout) =>
        Poll.UntilAsync(StatsAsync, s => s is not null && s.FramesDecoded >= frames, timeout,
            $"{Name}: remote video framesDecoded ≥ {frames}", TimeSpan.FromMilliseconds(250));

    public Task<PeerStats?> WaitForAudioPacketsAsync(long packets, TimeSpan timeout) =>
        Poll.UntilAsync(StatsAsync, s => s is not null && s.AudioPackets >= packets, timeout,
            $"{Name}: remote audio packetsReceived ≥ {packets}", TimeSpan.FromMilliseconds(250));

    /// <summary>
    /// A /visit page opened with a join code: once it has left 'idle' (it holds the seat, or found it taken), when it shows the
    /// family's device check (body[data-state=check]) presses "Join visit" as soon as the check has the camera (the button is
    /// enabled then); a kiosk's page, which joins at once, or a refused one is left as it is.
    /// </summary>
    public async Task JoinPastCheckAsync()
    {
        await Page.WaitForFunctionAsync("() => document.body && document.body.dataset.state !== 'idle'", null,
            new PageWaitForFunctionOptions { Timeout = 30_000 });
        if (await Page.EvaluateAsync<string?>("() => document.body.dataset.state") == "check")
        {
            await Page.ClickAsync("#check-join", new PageClickOptions { Timeout = 30_000 });
        }
    }

    public async Task<string> ScreenshotAsync(string directory)
    {
        var path = Path.Combine(directory, $"{Name}.png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        _output.WriteLine($"{Name}: screenshot {path}");
        return path;
    }

    public async Task CloseAsync()
    {
        lock (_gate)
        {
            foreach (var line in _console)
            {
                _output.WriteLine($"{Name} {line}");
            }
        }
        try
        {
            await _context.CloseAsync();
        }
        catch (PlaywrightException)
        {
            // The browser went first.
        }
    }
}
