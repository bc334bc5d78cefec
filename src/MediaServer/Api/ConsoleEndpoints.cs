using System.Security.Claims;
using System.Text;
using System.Text.Json;
using MediaServer.Auth;
using MediaServer.Recording;
using MediaServer.Visits;
using Microsoft.Extensions.Options;

namespace MediaServer.Api;

/// <summary>One party of a live visit as the officer console shows it.</summary>
public sealed record ConsoleParty(string Id, string Role, string Name, int? JoinOrder, string State, string Quality,
    double BitrateKbps, long Loss, double Jitter);

/// <summary>
/// One live visit as the officer console shows it: <see cref="Flagged"/> is the schedule's flag or any officer's flag;
/// <see cref="Recording"/> is <c>ok</c>, <c>off</c> (a privileged visit, or recording disabled) or <c>unrecorded</c> (its
/// recording failed and the visit goes on under <c>MediaServer:Recording:OnFailure=continue-and-alert</c>).
/// </summary>
public sealed record ConsoleVisit(string Id, Person Inmate, IReadOnlyList<Person> Visitors, bool Privileged, bool Flagged,
    DateTimeOffset? LiveSince, double DurationSeconds, DateTimeOffset End, string Quality, IReadOnlyList<ConsoleParty> Participants,
    IReadOnlyList<VisitFlag> Flags, int Taps, string Recording);

/// <summary>
/// What one event of the console's stream carries: every live visit, flagged first, and how many visits are not being
/// recorded although they should be (the console's alert).
/// </summary>
public sealed record ConsoleSnapshot(DateTimeOffset At, IReadOnlyList<ConsoleVisit> Visits, int Unrecorded);

/// <summary>
/// The officer console's server push: <c>GET /api/officer/events</c> is a <c>text/event-stream</c> (WHATWG HTML, "Server-sent
/// events") whose <c>visits</c> events carry the whole live-visit list. An event is sent when the list changes (a visit goes
/// live or ends, a party joins or leaves, a tap opens or closes, a flag is set, a visit's recording fails: noticed within
/// <see cref="CheckInterval"/>)
/// and at least every <see cref="RefreshInterval"/>, so durations and connection quality stay current.
/// <para>
/// The page reads the stream with <c>fetch()</c> and its <c>Authorization</c> header rather than with <c>EventSource</c>
/// (which cannot set headers), so the officer's token never appears in a URL, a server log or a proxy's log.
/// </para>
/// </summary>
public static class ConsoleEndpoints
{
    public static readonly TimeSpan CheckInterval = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(2);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void AddServices(IServiceCollection services)
    {
        services.AddSingleton<ConsoleFeed>();
        // The feed hears of flags the moment they are stored, so a flag reaches every console at once.
        services.AddSingleton<IVisitFlagSink>(sp => sp.GetRequiredService<ConsoleFeed>());
    }

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/officer/events", Stream).RequireAuthorization(Policies.Staff).WithTags("Officer console")
            .WithName("ConsoleEvents").WithSummary("Server-sent events: every live visit, pushed on each change and every 2 s (officer, admin).")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream");
        app.MapGet("/api/officer/visits", (ConsoleFeed feed) => Results.Ok(feed.Snapshot())).RequireAuthorization(Policies.Staff).WithTags("Officer console")
            .WithName("ConsoleVisits").WithSummary("The console's live-visit list once (officer, admin).");
    }

    /// <summary>
    /// The stream lasts while the token does: it ends at the token's <c>exp</c> (RFC 7519 §4.1.4), so a page holding an
    /// expired token gets nothing more and must authenticate again. One principal holds at most
    /// <see cref="LimitOptions.MaxEventStreamsPerPrincipal"/> streams; more are 429.
    /// </summary>
    private static async Task Stream(HttpContext http, ClaimsPrincipal user, ConsoleFeed feed, IHostApplicationLifetime lifetime,
        IOptions<LimitOptions> limits, TimeProvider time)
    {
        var remaining = TokenRemaining(user, time.GetUtcNow());
        if (remaining <= TimeSpan.Zero)
        {
            await ApiResults.Problem(401, ProblemTypes.TokenExpired, "Token expired", "The token has expired; sign in again.").ExecuteAsync(http).ConfigureAwait(false);
            return;
        }
        var principal = user.Subject();
        var max = limits.Value.MaxEventStreamsPerPrincipal;
        if (!feed.TryOpenStream(principal, max))
        {
            http.Response.Headers.RetryAfter = "5";
            await ApiResults.Problem(429, ProblemTypes.TooManyStreams, "Too many event streams",
                $"At most {max} event streams may be open for one user; close another console first.").ExecuteAsync(http).ConfigureAwait(false);
            return;
        }
        try
        {
            await StreamUntilAsync(http, feed, lifetime, remaining).ConfigureAwait(false);
        }
        finally
        {
            feed.CloseStream(principal);
        }
    }

    /// <summary>How long the token has left (its exp claim); a token without one is treated as expired.</summary>
    private static TimeSpan TokenRemaining(ClaimsPrincipal user, DateTimeOffset now)
    {
        var exp = user.FindFirst("exp")?.Value;
        return long.TryParse(exp, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            && seconds is > 0 and < 253402300799
            ? DateTimeOffset.FromUnixTimeSeconds(seconds) - now
            : TimeSpan.Zero;
    }

    private static async Task StreamUntilAsync(HttpContext http, ConsoleFeed feed, IHostApplicationLifetime lifetime, TimeSpan remaining)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
        stop.CancelAfter(remaining);
        var token = stop.Token;
        var response = http.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        // Reverse proxies (nginx) buffer responses unless told not to; an event stream must reach the page as it is written.
        response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();

        string? lastSignature = null;
        var lastSent = DateTimeOffset.MinValue;
        try
        {
            // WHATWG SSE §9.2.6: "retry" tells a reconnecting client how long to wait.
            await response.WriteAsync("retry: 2000\n\n", token).ConfigureAwait(false);
            while (!token.IsCancellationRequested)
            {
                var changed = feed.Changed;
                var signature = feed.Signature();
                var now = DateTimeOffset.UtcNow;
                if (signature != lastSignature || now - lastSent >= RefreshInterval)
                {
                    var json = JsonSerializer.Serialize(feed.Snapshot(), Json);
                    await response.WriteAsync("event: visits\ndata: " + json + "\n\n", token).ConfigureAwait(false);
                    await response.Body.FlushAsync(token).ConfigureAwait(false);
                    lastSignature = signature;
                    lastSent = now;
                }
                await Task.WhenAny(changed, Task.Delay(CheckInterval, token)).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The officer closed the page, or the server is stopping.
        }
        catch (IOException)
        {
            // The connection went away mid-write.
        }
    }
}

/// <summary>Builds the console's live-visit list and says cheaply whether it may have changed.</summary>
// Reads flags from the store, not through VisitFlags: VisitFlags is built with every IVisitFlagSink, and this is one.
public sealed class ConsoleFeed(VisitRegistry registry, IFlagStore flags, RecordingService recording,
    IOptions<RecordingOptions> recordingOptions, TimeProvider time) : IVisitFlagSink
{
    private readonly bool _recordingEnabled = recordingOptions.Value.Enabled;

    private long _flagVersion;
    private readonly Dictionary<string, int> _streams = new(StringComparer.Ordinal);
    private readonly Lock _streamsLock = new();

    /// <summary>Counts one more open event stream of <paramref name="principal"/>; false (nothing counted) when it has <paramref name="max"/>.</summary>
    public bool TryOpenStream(string principal, int max)
    {
        lock (_streamsLock)
        {
            var open = _streams.GetValueOrDefault(principal);
            if (open >= max)
            {
                return false;
            }
            _streams[principal] = open + 1;
            return true;
        }
    }

    public void CloseStream(string principal)
    {
        lock (_streamsLock)
        {
            var open = _streams.GetValueOrDefault(principal);
            if (open <= 1)
            {
                _streams.Remove(principal);
            }
            else
            {
                _streams[principal] = open - 1;
            }
        }
    }
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the next flag (the only change not visible in memory), then is replaced.</summary>
    public Task Changed => Volatile.Read(ref _changed).Task;

    public void OnFlag(Visit visit, VisitFlag flag)
    {
        Interlocked.Increment(ref _flagVersion);
        var previous = Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        previous.TrySetResult();
    }

    /// <summary>
    /// What the list's shape depends on (visits, states, who is connected, taps, flags, which visits go unrecorded), without
    /// counters that move with every packet: two equal signatures mean only durations and statistics differ, which the periodic
    /// refresh carries.
    /// </summary>
    public string Signature()
    {
        var text = new StringBuilder(256);
        text.Append(Volatile.Read(ref _flagVersion)).Append('|');
        foreach (var visit in registry.InMemory)
        {
            if (visit.State != VisitState.Live)
            {
                continue;
            }
            text.Append(visit.Id).Append(':').Append(visit.OpenTaps().Count).Append(':').Append(RecordingOf(visit));
            foreach (var participant in visit.Participants)
            {
                var leg = visit.LatestLeg(participant.Id);
                text.Append(',').Append(leg is null ? "-" : leg.Id + "/" + (int)leg.State);
            }
            text.Append(';');
        }
        return text.ToString();
    }

    public ConsoleSnapshot Snapshot()
    {
        var now = time.GetUtcNow();
        var live = registry.List(VisitState.Live);
        var ids = new List<string>(live.Count);
        foreach (var visit in live)
        {
            ids.Add(visit.Id);
        }
        var flagsByVisit = flags.ForVisits(ids);
        var visits = new List<ConsoleVisit>(live.Count);
        var unrecorded = 0;
        foreach (var visit in live)
        {
            var described = Describe(visit, flagsByVisit.GetValueOrDefault(visit.Id) ?? [], RecordingOf(visit), now);
            unrecorded += described.Recording == Unrecorded ? 1 : 0;
            visits.Add(described);
        }
        // Flagged first (docs/api.md, "GET /api/officer/events": every live visit, flagged first), then the longest-running first.
        visits.Sort(static (a, b) =>
        {
            if (a.Flagged != b.Flagged)
            {
                return a.Flagged ? -1 : 1;
            }
            var bySince = Nullable.Compare(a.LiveSince, b.LiveSince);
            return bySince != 0 ? bySince : string.CompareOrdinal(a.Id, b.Id);
        });
        return new ConsoleSnapshot(now, visits, unrecorded);
    }

    private const string Unrecorded = "unrecorded";

    /// <summary>off: nothing is to be recorded (privileged, or recording disabled); unrecorded: it should be and is not.</summary>
    private string RecordingOf(Visit visit) =>
        visit.Privileged || !_recordingEnabled ? "off" : recording.IsUnrecorded(visit.Id) ? Unrecorded : "ok";

    private static ConsoleVisit Describe(Visit visit, List<VisitFlag> visitFlags, string recording, DateTimeOffset now)
    {
        var dto = VisitDto.From(visit, visitFlags);
        var parties = new List<ConsoleParty>(dto.Participants.Count);
        DateTimeOffset? since = null;
        var worst = "unknown";
        foreach (var participant in dto.Participants)
        {
            var leg = visit.LatestLeg(participant.Id);
            if (leg is not null && (since is null || leg.CreatedAt < since))
            {
                since = leg.CreatedAt;
            }
            var c = participant.Connection;
            var quality = Quality(c);
            if (Rank(quality) > Rank(worst))
            {
                worst = quality;
            }
            parties.Add(new ConsoleParty(participant.Id, participant.Role, participant.Name, leg?.Party.JoinOrder, c.State, quality,
                c.BitrateKbps, c.Loss, c.Jitter));
        }
        var duration = since is null ? 0 : Math.Max(0, (now - since.Value).TotalSeconds);
        return new ConsoleVisit(visit.Id, visit.Inmate, visit.Visitors, visit.Privileged, visit.Flagged || visitFlags.Count > 0,
            since, Math.Round(duration, 1), visit.End, worst, parties, visitFlags, visit.OpenTaps().Count, recording);
    }

    /// <summary>
    /// A plain-words level from what the server received of the party: loss over the leg's life (RFC 3550 §6.4.1 cumulative
    /// loss against packets received) and interarrival jitter. The thresholds are where speech and video visibly suffer.
    /// </summary>
    public static string Quality(ConnectionDto connection)
    {
        if (connection.State != "connected")
        {
            return connection.State == "connecting" ? "connecting" : "unknown";
        }
        var expected = connection.PacketsIn + Math.Max(0, connection.Loss);
        var lossRatio = expected == 0 ? 0 : (double)Math.Max(0, connection.Loss) / expected;
        return lossRatio > 0.08 || connection.Jitter > 80 ? "poor"
            : lossRatio > 0.02 || connection.Jitter > 30 ? "fair"
            : "good";
    }

    private static int Rank(string quality) => quality switch
    {
        "good" => 1,
        "connecting" => 2,
        "fair" => 3,
        "poor" => 4,
        _ => 0,
    };
}
