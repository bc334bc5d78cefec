using System.Reflection;
using System.Runtime.InteropServices;
using MediaServer.Metrics;
using MediaServer.Recording;
using MediaServer.Transport;
using MediaServer.Visits;
using Prometheus;

namespace MediaServer.Api;

/// <summary>
/// /metrics written by prometheus-net (a maintained Prometheus client, text exposition format 0.0.4) instead of by hand. The
/// relay, recording and audit keep their own cheap counters (plain fields, incremented on the packet path as before); just
/// before each scrape they are copied into the registry's counters and gauges, so the packet path is untouched and every series
/// keeps the name and labels it had. The registry is this server's own (not the library's static default), so two servers in
/// one process (the in-process tests) do not share series. prometheus-net adds the process and runtime series
/// (process_cpu_seconds_total, process_working_set_bytes, process_open_handles, process_start_time_seconds,
/// dotnet_collection_count_total, dotnet_total_memory_bytes, ...); mediaserver_build_info carries the version and runtime.
/// </summary>
public sealed class MetricsExposition
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();

    public MetricsExposition(RelayMetrics relay, HttpMetrics http, VisitRegistry registry, PortAllocator ports, RecordingMetrics recording, IAuditLog audit)
    {
        var factory = Prometheus.Metrics.WithCustomRegistry(_registry);
        var udpDrops = new UdpReceiveDrops();
        var visits = factory.CreateGauge("mediaserver_visits", "Visits held in memory by state (scheduled and live are all of them).",
            new GaugeConfiguration { LabelNames = ["state"] });
        var legs = factory.CreateGauge("mediaserver_legs", "Open participant legs.");
        var taps = factory.CreateGauge("mediaserver_taps", "Open officers' taps (receive-only monitoring legs).");
        var pairs = factory.CreateGauge("mediaserver_rtp_port_pairs_in_use", "RTP/RTCP port pairs bound.");
        var drops = factory.CreateCounter("mediaserver_drops_total", "Datagrams dropped, by reason.", new CounterConfiguration { LabelNames = ["reason"] });
        // The batched I/O threads (MediaServer:Rtp:BatchedIo) count what they move themselves; 0 on the per-socket loops.
        var ioThreads = factory.CreateGauge("mediaserver_io_threads", "Batched media I/O threads (recvmmsg/sendmmsg); 0 when each socket has its own receive loop.");
        var ioCounters = new (Counter Counter, Func<Transport.Batched.BatchedDatagramIo, long> Read)[]
        {
            (factory.CreateCounter("mediaserver_io_received_total", "Datagrams received by the batched I/O threads."), io => io.ReceiveCounts.Datagrams),
            (factory.CreateCounter("mediaserver_io_receive_batches_total", "recvmmsg calls that returned datagrams."), io => io.ReceiveCounts.Batches),
            (factory.CreateCounter("mediaserver_io_sent_total", "Datagrams sent through sendmmsg by the batched I/O threads."), io => io.SendCounts.Sent),
            (factory.CreateCounter("mediaserver_io_send_calls_total", "sendmmsg calls."), io => io.SendCounts.Calls),
            (factory.CreateCounter("mediaserver_io_coalesce_pauses_total",
                "Rounds after which a batched I/O thread slept MediaServer:Rtp:IoCoalesceMicroseconds to gather datagrams into fewer calls."),
                io => io.CoalescePauses),
            (factory.CreateCounter("mediaserver_io_send_refused_total",
                "Datagrams the batched I/O threads could not send (the kernel refused them: a full send buffer, a bad destination; or their leg closed first): dropped."),
                io => io.SendCounts.Drops),
        };
        var counters = new (Counter Counter, Func<long> Read)[]
        {
            (factory.CreateCounter("mediaserver_packets_in_total", "Datagrams received on media ports."), () => relay.PacketsIn),
            (factory.CreateCounter("mediaserver_bytes_in_total", "Bytes received on media ports."), () => relay.BytesIn),
            (factory.CreateCounter("mediaserver_packets_out_total", "RTP packets forwarded."), () => relay.PacketsOut),
            (factory.CreateCounter("mediaserver_bytes_out_total", "Bytes forwarded."), () => relay.BytesOut),
            (factory.CreateCounter("mediaserver_rtcp_in_total", "Valid RTCP compound packets received."), () => relay.RtcpIn),
            (factory.CreateCounter("mediaserver_retransmissions_total", "RTP packets resent from the cache (NACK answers, keyframes after PLI/FIR)."), () => relay.Retransmissions),
            (factory.CreateCounter("mediaserver_retransmitted_bytes_total", "Bytes of those retransmissions."), () => relay.RetransmittedBytes),
            (factory.CreateCounter("mediaserver_recording_bytes_total", "Bytes written to recording journals."), () => recording.BytesWritten),
            (factory.CreateCounter("mediaserver_recording_failures_total", "Recordings that could not be written (disk full, I/O errors)."), () => recording.Failures),
            (factory.CreateCounter("mediaserver_recording_refused_joins_total", "Joins refused (503) because the visit could not be recorded (MediaServer:Recording:OnFailure=refuse)."), () => recording.JoinsRefused),
            (factory.CreateCounter("mediaserver_recording_dropped_packets_total", "Packets left out of a journal because its buffer was full."), () => recording.DroppedPackets),
            (factory.CreateCounter("mediaserver_recording_renders_total", "Review copies rendered."), () => recording.Rendered),
            (factory.CreateCounter("mediaserver_recording_render_failures_total", "Render attempts that failed."), () => recording.RenderFailures),
            (factory.CreateCounter("mediaserver_recording_purged_total", "Recordings removed by retention."), () => recording.Purged),
            (factory.CreateCounter("mediaserver_audit_refusals_coalesced_total", "Identical refusals counted into an earlier audit entry instead of written as rows."), () => audit.Coalesced),
            (factory.CreateCounter("mediaserver_http_unauthorized_total", "API requests refused for a missing, invalid or expired token."), () => http.Unauthorized),
            (factory.CreateCounter("mediaserver_udp_receive_drops_total",
                "Datagrams the kernel dropped before the server read them, because one of its UDP sockets had a full receive buffer "
                + "(the drops column of /proc/net/udp; Linux, 0 elsewhere). Above 0: the server fell behind its media."), udpDrops.Read),
        };
        var gauges = new (Gauge Gauge, Func<long> Read)[]
        {
            (factory.CreateGauge("mediaserver_recording_active", "Visits whose journal is being written."), () => recording.Active),
            (factory.CreateGauge("mediaserver_recording_unrecorded_visits", "Visits that cannot be recorded now (journal not created, or failed mid-visit): alert when above 0."), () => recording.Unrecorded),
            (factory.CreateGauge("mediaserver_audit_chain_intact", "1 when the audit chain last verified against the key and the signed checkpoints, 0 when it did not."),
                () => audit.LastVerification is { Ok: false } ? 0 : 1),
        };

        var assembly = typeof(MetricsExposition).Assembly;
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        factory.CreateGauge("mediaserver_build_info", "Always 1: the server's version, source revision (when built from git) and .NET runtime.",
                new GaugeConfiguration { LabelNames = ["version", "revision", "runtime"] })
            .WithLabels(plus < 0 ? informational : informational[..plus], plus < 0 ? "" : informational[(plus + 1)..], RuntimeInformation.FrameworkDescription)
            .Set(1);
        DotNetStats.Register(_registry);

        var byState = new Dictionary<VisitState, int>();
        _registry.AddBeforeCollectCallback(() =>
        {
            lock (byState)
            {
                byState.Clear();
                var openLegs = 0;
                var openTaps = 0;
                foreach (var visit in registry.InMemory)
                {
                    byState[visit.State] = byState.GetValueOrDefault(visit.State) + 1;
                    openLegs += visit.OpenLegs().Count;
                    openTaps += visit.OpenTaps().Count;
                }
                foreach (var state in Enum.GetValues<VisitState>())
                {
                    visits.WithLabels(VisitStates.Name(state)).Set(byState.GetValueOrDefault(state));
                }
                legs.Set(openLegs);
                taps.Set(openTaps);
            }
            pairs.Set(ports.InUse);
            foreach (var reason in RelayMetrics.Reasons)
            {
                drops.WithLabels(RelayMetrics.Label(reason)).IncTo(relay.Drops(reason));
            }
            foreach (var (counter, read) in counters)
            {
                counter.IncTo(read());
            }
            foreach (var (gauge, read) in gauges)
            {
                gauge.Set(read());
            }
            var io = DatagramIo.Batched;
            ioThreads.Set(io?.ThreadCount ?? 0);
            if (io is not null)
            {
                foreach (var (counter, read) in ioCounters)
                {
                    counter.IncTo(read(io));
                }
            }
        });
    }

    public Task WriteAsync(Stream destination, CancellationToken cancellation) => _registry.CollectAndExportAsTextAsync(destination, cancellation);
}
