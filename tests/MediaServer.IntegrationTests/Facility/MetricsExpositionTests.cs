using System.Net;
using System.Net.Http.Headers;
using MediaServer.Testing;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests.Facility;

/// <summary>
/// /metrics scraped from the real server: every series the hand-written exposition had, under the same names and labels, plus
/// process, runtime and build information from prometheus-net; staff only, as before; and the Grafana dashboard in config/
/// names no series that is not there.
/// </summary>
public sealed class MetricsExpositionTests(ITestOutputHelper output)
{
    /// <summary>The series /metrics carried before prometheus-net wrote it (one of each labelled family shown by one label).</summary>
    private static readonly string[] Existing =
    [
        "mediaserver_visits{state=\"scheduled\"}", "mediaserver_visits{state=\"live\"}", "mediaserver_visits{state=\"ended\"}",
        "mediaserver_legs", "mediaserver_taps", "mediaserver_rtp_port_pairs_in_use",
        "mediaserver_packets_in_total", "mediaserver_bytes_in_total", "mediaserver_packets_out_total", "mediaserver_bytes_out_total",
        "mediaserver_rtcp_in_total", "mediaserver_retransmissions_total", "mediaserver_retransmitted_bytes_total",
        "mediaserver_drops_total{reason=\"oversize\"}", "mediaserver_drops_total{reason=\"unknown_source\"}",
        "mediaserver_recording_active", "mediaserver_recording_bytes_total", "mediaserver_recording_failures_total",
        "mediaserver_recording_unrecorded_visits", "mediaserver_recording_refused_joins_total", "mediaserver_recording_dropped_packets_total",
        "mediaserver_recording_renders_total", "mediaserver_recording_render_failures_total", "mediaserver_recording_purged_total",
        "mediaserver_audit_chain_intact", "mediaserver_audit_refusals_coalesced_total", "mediaserver_http_unauthorized_total",
    ];

    [Fact]
    public async Task Every_existing_series_is_kept_and_process_runtime_and_build_series_are_added()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1);
        // One refused request, so that a counter is seen to count.
        using (var refused = await server.Http.GetAsync(new Uri("api/audit", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        var metrics = await server.Api.GetMetricsAsync();
        output.WriteLine(metrics.Text);
        foreach (var series in Existing)
        {
            Assert.True(metrics.Series.ContainsKey(series), $"/metrics lost {series}");
        }
        Assert.Equal(1, metrics.Series["mediaserver_visits{state=\"scheduled\"}"]);
        Assert.True(metrics.Series["mediaserver_http_unauthorized_total"] >= 1);
        Assert.Equal(1, metrics.Series["mediaserver_audit_chain_intact"]);
        Assert.Contains("# TYPE mediaserver_drops_total counter", metrics.Text, StringComparison.Ordinal);
        Assert.Contains("# TYPE mediaserver_legs gauge", metrics.Text, StringComparison.Ordinal);

        // Process and runtime.
        Assert.True(metrics.Series["process_cpu_seconds_total"] > 0);
        Assert.True(metrics.Series["process_working_set_bytes"] > 1_000_000);
        Assert.True(metrics.Series["process_start_time_seconds"] > 1_700_000_000);
        Assert.True(metrics.Series["dotnet_total_memory_bytes"] > 0);
        Assert.Contains(metrics.Series.Keys, k => k.StartsWith("dotnet_collection_count_total{generation=", StringComparison.Ordinal));
        // Build: one series, value 1, with the version and runtime.
        var build = Assert.Single(metrics.Series, s => s.Key.StartsWith("mediaserver_build_info{", StringComparison.Ordinal));
        Assert.Equal(1, build.Value);
        Assert.Matches("version=\"\\d+\\.\\d+\\.\\d+", build.Key);
        Assert.Contains("runtime=\".NET 10", build.Key, StringComparison.Ordinal);

        // The Grafana dashboard (config/grafana-dashboard.json) asks only for series this server exposes.
        var dashboard = await File.ReadAllTextAsync(Path.Combine(RepoLayout.RepoRoot, "config", "grafana-dashboard.json"));
        var asked = System.Text.RegularExpressions.Regex.Matches(dashboard, @"\b(?:mediaserver|process|dotnet)_[a-z_]+").Select(m => m.Value).Distinct().ToList();
        output.WriteLine("dashboard series: " + string.Join(", ", asked));
        Assert.True(asked.Count >= 20, "the dashboard names few series: " + string.Join(", ", asked));
        Assert.All(asked, name => Assert.True(metrics.Text.Contains("# TYPE " + name + " ", StringComparison.Ordinal),
            $"the dashboard asks for {name}, which /metrics does not have"));

        // Still staff only: a visitor's token is refused.
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("metrics", UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", visit.VisitorToken(1));
        using var response = await server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
