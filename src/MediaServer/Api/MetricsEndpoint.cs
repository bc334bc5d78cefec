using System.Globalization;
using System.Text;
using MediaServer.Metrics;
using MediaServer.Storage;
using MediaServer.Transport;
using MediaServer.Visits;

namespace MediaServer.Api;

/// <summary>/metrics in the Prometheus text exposition format (version 0.0.4), and /healthz.</summary>
public static class MetricsEndpoint
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", Render);
        app.MapGet("/healthz", Health);
    }

    private static IResult Health(Database database, PortAllocator ports)
    {
        try
        {
            using var connection = database.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            command.ExecuteScalar();
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException or UnauthorizedAccessException)
        {
            return ApiResults.Problem(503, "Unhealthy", "The database cannot be opened: " + e.Message);
        }
        if (ports.InUse >= ports.Capacity)
        {
            return ApiResults.Problem(503, "Unhealthy", "Every RTP port pair is in use; no visit can be joined.");
        }
        return Results.Ok(new { status = "ok" });
    }

    private static IResult Render(RelayMetrics relay, HttpMetrics http, VisitRegistry registry, PortAllocator ports, Recording.RecordingMetrics recording)
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
            Line(text, "mediaserver_visits", $"state=\"{VisitStore.StateName(state)}\"", byState.GetValueOrDefault(state));
        }
        Gauge(text, "mediaserver_legs", "Open participant legs.", legs);
        Gauge(text, "mediaserver_taps", "Open officers' taps (receive-only monitoring legs).", taps);
        Gauge(text, "mediaserver_rtp_port_pairs_in_use", "RTP/RTCP port pairs bound.", ports.InUse);
        Counter(text, "mediaserver_packets_in_total", "Datagrams received on media ports.", relay.PacketsIn);
        Counter(text, "mediaserver_bytes_in_total", "Bytes received on media ports.", relay.BytesIn);
        Counter(text, "mediaserver_packets_out_total", "RTP packets forwarded.", relay.PacketsOut);
        Counter(text, "mediaserver_bytes_out_total", "Bytes forwarded.", relay.BytesOut);
        Counter(text, "mediaserver_rtcp_in_total", "Valid RTCP compound packets received.", relay.RtcpIn);
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
