using System.Globalization;
using System.Text;
using MediaServer.Metrics;
using MediaServer.Transport;
using MediaServer.Visits;

namespace MediaServer.Api;

/// <summary>
/// /metrics in the Prometheus text exposition format (version 0.0.4), for staff only (officer or admin bearer token): the gauges
/// say when taps are open, which a visit's parties must not learn. /healthz is anonymous and answers fixed text only.
/// </summary>
public static partial class MetricsEndpoint
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", Render).RequireAuthorization(Policies.Staff).WithTags("Operations")
            .WithName("Metrics").WithSummary("Prometheus text: visits, legs, taps, packets, drops, audit state (officer, admin).")
            .Produces(StatusCodes.Status200OK, contentType: "text/plain");
        app.MapGet("/healthz", Health).WithTags("Operations")
            .WithName("Health").WithSummary("Fixed-text health: database, RTP ports, audit chain, FFmpeg (anonymous).");
    }

    private static IResult Health(IVisitStore store, PortAllocator ports, IAuditLog audit, Recording.Review.FfmpegAvailability ffmpeg, ILoggerFactory loggers)
    {
        if (store.Probe() is { } failure)
        {
            // The reason goes to the log, never to an anonymous caller (it names paths and the database's state).
            LogUnhealthy(loggers.CreateLogger("MediaServer.Health"), failure);
            return ApiResults.Problem(503, ProblemTypes.Unhealthy, "Unhealthy", "The database cannot be opened.");
        }
        if (ports.InUse >= ports.Capacity)
        {
            return ApiResults.Problem(503, ProblemTypes.Unhealthy, "Unhealthy", "Every RTP port pair is in use; no visit can be joined.");
        }
        // A broken audit chain does not stop visits; it is shown here and in /metrics until an admin has looked (docs/audit-log.md).
        var chain = audit.LastVerification switch
        {
            { Ok: false } => "broken",
            null => "unchecked",
            _ => "intact",
        };
        // FFmpeg missing: visits go on and are recorded, but no review copy can be made (the log names the path).
        if (ffmpeg.Problem() is not null)
        {
            return Results.Ok(new { status = "degraded", audit = chain, ffmpeg = "missing" });
        }
        return Results.Ok(new { status = chain == "broken" ? "degraded" : "ok", audit = chain });
    }

    [LoggerMessage(EventId = 9020, Level = LogLevel.Error, Message = "/healthz: the database cannot be opened")]
    private static partial void LogUnhealthy(ILogger logger, Exception exception);

    private static IResult Render(RelayMetrics relay, HttpMetrics http, VisitRegistry registry, PortAllocator ports, Recording.RecordingMetrics recording,
        IAuditLog audit)
    {
        var text = new StringBuilder(2048);
        var byState = new Dictionary<VisitState, int>();
        var legs = 0;
        var taps = 0;
        foreach (var visit in registry.InMemory)
        {
            byState[visit.State] = byState.GetValueOrDefault(visit.State) + 1;
            legs += visit.OpenLegs().Count;
            taps += visit.OpenTaps().Count;
        }
        Header(text, "mediaserver_visits", "gauge", "Visits held in memory by state (scheduled and live are all of them).");
        foreach (var state in Enum.GetValues<VisitState>())
        {
            Line(text, "mediaserver_visits", $"state=\"{VisitStates.Name(state)}\"", byState.GetValueOrDefault(state));
        }
        Gauge(text, "mediaserver_legs", "Open participant legs.", legs);
        Gauge(text, "mediaserver_taps", "Open officers' taps (receive-only monitoring legs).", taps);
        Gauge(text, "mediaserver_rtp_port_pairs_in_use", "RTP/RTCP port pairs bound.", ports.InUse);
        Counter(text, "mediaserver_packets_in_total", "Datagrams received on media ports.", relay.PacketsIn);
        Counter(text, "mediaserver_bytes_in_total", "Bytes received on media ports.", relay.BytesIn);
        Counter(text, "mediaserver_packets_out_total", "RTP packets forwarded.", relay.PacketsOut);
        Counter(text, "mediaserver_bytes_out_total", "Bytes forwarded.", relay.BytesOut);
        Counter(text, "mediaserver_rtcp_in_total", "Valid RTCP compound packets received.", relay.RtcpIn);
        Counter(text, "mediaserver_retransmissions_total", "RTP packets resent from the cache (NACK answers, keyframes after PLI/FIR).",
            relay.Retransmissions);
        Counter(text, "mediaserver_retransmitted_bytes_total", "Bytes of those retransmissions.", relay.RetransmittedBytes);
        Header(text, "mediaserver_drops_total", "counter", "Datagrams dropped, by reason.");
        foreach (var reason in RelayMetrics.Reasons)
        {
            Line(text, "mediaserver_drops_total", $"reason=\"{RelayMetrics.Label(reason)}\"", relay.Drops(reason));
        }
        Gauge(text, "mediaserver_recordings_active", "Visits whose journal is being written.", recording.Active);
        Counter(text, "mediaserver_recording_bytes_total", "Bytes written to recording journals.", recording.BytesWritten);
        Counter(text, "mediaserver_recording_failures_total", "Recordings that could not be written (disk full, I/O errors).", recording.Failures);
        Gauge(text, "mediaserver_recording_unrecorded_visits", "Visits that cannot be recorded now (journal not created, or failed mid-visit): alert when above 0.", recording.Unrecorded);
        Counter(text, "mediaserver_recording_refused_joins_total", "Joins refused (503) because the visit could not be recorded (MediaServer:Recording:OnFailure=refuse).", recording.JoinsRefused);
        Counter(text, "mediaserver_recording_dropped_packets_total", "Packets left out of a journal because its buffer was full.", recording.DroppedPackets);
        Counter(text, "mediaserver_recording_renders_total", "Review copies rendered.", recording.Rendered);
        Counter(text, "mediaserver_recording_render_failures_total", "Render attempts that failed.", recording.RenderFailures);
        Counter(text, "mediaserver_recording_purged_total", "Recordings removed by retention.", recording.Purged);
        Gauge(text, "mediaserver_audit_chain_intact", "1 when the audit chain last verified against the key and the signed checkpoints, 0 when it did not.",
            audit.LastVerification is { Ok: false } ? 0 : 1);
        Counter(text, "mediaserver_audit_refusals_coalesced_total", "Identical refusals counted into an earlier audit entry instead of written as rows.", audit.Coalesced);
        Counter(text, "mediaserver_http_unauthorized_total", "API requests refused for a missing, invalid or expired token.", http.Unauthorized);
        return Results.Text(text.ToString(), "text/plain; version=0.0.4; charset=utf-8");
    }

    private static void Counter(StringBuilder text, string name, string help, long value)
    {
        Header(text, name, "counter", help);
        Line(text, name, null, value);
    }

    private static void Gauge(StringBuilder text, string name, string help, long value)
    {
        Header(text, name, "gauge", help);
        Line(text, name, null, value);
    }

    private static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Line(StringBuilder text, string name, string? labels, long value)
    {
        text.Append(name);
        if (labels is not null)
        {
            text.Append('{').Append(labels).Append('}');
        }
        text.Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }
}
