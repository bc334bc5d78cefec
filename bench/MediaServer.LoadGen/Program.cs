using System.Diagnostics;
using System.Globalization;
using System.Net;
using MediaServer.LoadGen;
using MediaServer.Testing;

// Load generator: N visits of one kiosk and V visitors each, every party a plain-RTP client sending synthetic VP8-like video and
// Opus-like audio through the real server, which relays each party to every other one. All traffic stays on 127.0.0.1.
Options options;
try
{
    options = Options.Parse(args);
}
catch (ArgumentException e)
{
    if (e.Message.Length > 0)
    {
        Console.Error.WriteLine(e.Message);
    }
    Console.Error.WriteLine(Options.Usage);
    return 2;
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};
try
{
    return options.StreamsOut is { } streamsOut
        ? await StreamSetup.RunAsync(options, streamsOut, cancellation.Token).ConfigureAwait(false)
        : await LoadRun.RunAsync(options, cancellation.Token).ConfigureAwait(false);
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("Cancelled.");
    return 130;
}
catch (Exception e) when (e is InvalidOperationException or HttpRequestException or TimeoutException or FileNotFoundException or UnexpectedStatusException)
{
    Console.Error.WriteLine("Load run failed: " + e.Message);
    return 1;
}

namespace MediaServer.LoadGen
{
    internal static class LoadRun
    {
        private const int VideoFramesPerSecond = 30;
        private const int AudioPacketsPerSecond = 50; // 20 ms Opus frames

        public static async Task<int> RunAsync(Options options, CancellationToken cancellation)
        {
            var random = new Random(options.Seed);
            var partiesPerVisit = 1 + options.Visitors;
            var partyCount = options.Visits * partiesPerVisit;
            // Every party offers V video+audio pairs (it receives V others); each m-line takes an RTP/RTCP port pair on both sides.
            var portsPerSide = partyCount * options.Visitors * 2 * 2;
            var serverRange = portsPerSide + 200;
            var clientRange = portsPerSide + 200;
            var setupBudget = TimeSpan.FromSeconds(30 + (2 * partyCount));

            ServerProcess? server = null;
            ServerLog? serverLog = null;
            var parties = new List<Party>();
            var receiveLoops = new List<Task>();
            using var stopReceiving = new CancellationTokenSource();
            try
            {
                Uri? baseUrl = null;
                string? officerToken = null;
                int? serverPid = null;
                if (options.Direct)
                {
                    Console.WriteLine("Direct mode: no server; each party sends straight to every other party.");
                }
                else if (options.Url is null)
                {
                    var dll = options.ServerDll ?? RepoLayout.ServerDll;
                    serverLog = new ServerLog(Path.Combine(Path.GetTempPath(), $"mediaserver-loadgen-{Environment.ProcessId}.log"));
                    Console.WriteLine($"Starting {dll} ({serverRange} RTP ports; log in {serverLog.Path}) ...");
                    server = await ServerProcess.StartAsync(serverLog, rootDirectory: null, ServerSettings(options), serverRange, dll).ConfigureAwait(false);
                    baseUrl = server.BaseAddress;
                    serverPid = server.Process.Id;
                    officerToken = await server.MintTokenAsync("officer", "loadgen", ttl: TimeSpan.FromHours(2)).ConfigureAwait(false);
                    Console.WriteLine($"Server pid {serverPid} at {baseUrl}: RTP ports {server.RtpPortMin}-{server.RtpPortMax}, WebRTC port {server.WebRtcPort}, data in {server.DataDirectory}.");
                }
                else
                {
                    baseUrl = options.Url;
                    officerToken = options.Token!;
                    serverPid = options.ServerPid;
                }

                // The shared allocator keeps client and server ranges apart (and both below the kernel's ephemeral range).
                var clientFirst = PortAllocator.FreeClientUdpRange(clientRange);
                var clientPorts = new ClientPorts(clientFirst, clientFirst + clientRange - 1);
                using var api = baseUrl is null ? null : new MediaServerApi(baseUrl) { MetricsToken = officerToken };
                using var setupTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                setupTimeout.CancelAfter(setupBudget);

                // Schedule and join everything before any media flows, so that no packet is sent before its receivers exist.
                var setupWatch = Stopwatch.StartNew();
                var now = DateTimeOffset.UtcNow;
                var end = now + TimeSpan.FromSeconds(options.Seconds + 60) + setupBudget;
                for (var v = 0; v < options.Visits; v++)
                {
                    if (api is null)
                    {
                        var visitParties = Enumerable.Range(0, partiesPerVisit)
                            .Select(i => new Party(parties.Count + i, v, $"direct{v}", i == 0 ? $"inmate{v}" : $"visitor{v}-{i - 1}", i == 0, options.Visitors, clientPorts))
                            .ToList();
                        parties.AddRange(visitParties);
                        continue;
                    }
                    var request = new CreateVisitRequest(new PersonDto($"inmate{v}", $"Inmate {v}"),
                        [.. Enumerable.Range(0, options.Visitors).Select(i => new PersonDto($"visitor{v}-{i}", $"Visitor {v}-{i}"))], now, end);
                    var visit = await api.CreateVisitAsync(officerToken!, request, setupTimeout.Token).ConfigureAwait(false);
                    var ids = visit.Participants.Select(p => (p.Id, Kiosk: p.Role == "kiosk")).OrderByDescending(p => p.Kiosk).ToList();
                    foreach (var (id, kiosk) in ids)
                    {
                        var party = new Party(parties.Count, v, visit.Id, id, kiosk, options.Visitors, clientPorts);
                        parties.Add(party);
                        party.Token = (await api.MintParticipantTokenAsync(officerToken!, visit.Id, id, setupTimeout.Token).ConfigureAwait(false)).Token;
                        var leg = await api.JoinAsync(party.Token, visit.Id, party.Offer(), cancellation: setupTimeout.Token).ConfigureAwait(false);
                        party.Leg = new Uri(leg.Location, UriKind.RelativeOrAbsolute);
                        party.ApplyAnswer(leg.AnswerSdp);
                    }
                }
                Console.WriteLine($"{options.Visits} visits, {parties.Count} parties {(api is null ? "wired" : "joined")} in {setupWatch.Elapsed.TotalSeconds:0.0} s.");

                var streams = BuildStreams(options, parties, partiesPerVisit, random);
                var counters = new ReceptionCounters(streams.Count);
                foreach (var party in parties)
                {
                    foreach (var line in party.MediaLines)
                    {
                        receiveLoops.Add(Receiver.Start(line.Rtp, rtcp: false, counters, stopReceiving.Token));
                        receiveLoops.Add(Receiver.Start(line.Rtcp, rtcp: true, counters, stopReceiving.Token));
                    }
                }

                // What the server burns with every leg up and no media, to tell the relay's cost from the host's own.
                // Right after the joins this includes the tiered JIT recompiling the join path (seconds of CPU on this machine).
                double? idleCpu = null;
                if (options.IdleSeconds > 0 && serverPid is { } idlePid2 && ProcStat.CpuTime(idlePid2) is { } idleBefore)
                {
                    var idleStart = Stopwatch.GetTimestamp();
                    await Task.Delay(TimeSpan.FromSeconds(options.IdleSeconds), cancellation).ConfigureAwait(false);
                    idleCpu = ProcStat.CpuTime(idlePid2) is { } idleAfter
                        ? (idleAfter - idleBefore).TotalSeconds / Stopwatch.GetElapsedTime(idleStart).TotalSeconds
                        : null;
                }

                var sender = new TrafficSender(streams, options.TickMilliseconds, random);
                var startTicks = Stopwatch.GetTimestamp();
                var measureFromTicks = startTicks + (options.WarmUpSeconds * Stopwatch.Frequency);
                var endTicks = measureFromTicks + (options.Seconds * Stopwatch.Frequency);
                var senderThread = new Thread(() => sender.Run(startTicks, measureFromTicks, endTicks)) { Name = "loadgen-sender", IsBackground = true };
                senderThread.Start();
                if (options.WarmUpSeconds > 0)
                {
                    Console.WriteLine($"Warming up for {options.WarmUpSeconds} s, then measuring for {options.Seconds} s ...");
                    var untilMeasuring = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), measureFromTicks);
                    if (untilMeasuring > TimeSpan.Zero)
                    {
                        await Task.Delay(untilMeasuring, cancellation).ConfigureAwait(false);
                    }
                }
                // CPU first (cheap, and the window's edges matter), then the HTTP scrape, which a busy server may answer late.
                var serverCpuBefore = serverPid is { } p1 ? ProcStat.CpuTime(p1) : null;
                var ownCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                var cpuWindowStart = Stopwatch.GetTimestamp();
                var udpBefore = ProcStat.UdpCounters();
                var loadBefore = ProcStat.LoadAverage();
                var metricsBefore = await MetricsAsync(api, cancellation).ConfigureAwait(false);
                await ProgressUntilAsync(senderThread, counters, streams, options.Seconds, cancellation).ConfigureAwait(false);
                var serverCpuAfter = serverPid is { } p2 ? ProcStat.CpuTime(p2) : null;
                var ownCpuAfter = Process.GetCurrentProcess().TotalProcessorTime;
                var cpuSeconds = Stopwatch.GetElapsedTime(cpuWindowStart).TotalSeconds;
                // Packets are counted by when they were sent, so rates use the sender's own window.
                var sendSeconds = (endTicks - measureFromTicks) / (double)Stopwatch.Frequency;
                var memory = serverPid is { } p3 ? ProcStat.Memory(p3) : (null, null);

                // Let what is in flight arrive: stop once nothing new came for 300 ms (at most 3 s).
                var drain = Stopwatch.StartNew();
                var last = Interlocked.Read(ref counters.Received);
                var quietSince = drain.Elapsed;
                while (drain.Elapsed < TimeSpan.FromSeconds(3) && drain.Elapsed - quietSince < TimeSpan.FromMilliseconds(300))
                {
                    await Task.Delay(50, cancellation).ConfigureAwait(false);
                    var current = Interlocked.Read(ref counters.Received);
                    if (current != last)
                    {
                        last = current;
                        quietSince = drain.Elapsed;
                    }
                }
                var metricsAfter = await MetricsAsync(api, cancellation).ConfigureAwait(false);
                var udpAfter = ProcStat.UdpCounters();

                var loadAfter = ProcStat.LoadAverage();
                Report.Print(options, parties.Count, streams, counters, sender, sendSeconds,
                    serverCpuBefore is { } b && serverCpuAfter is { } a ? (a - b).TotalSeconds / cpuSeconds : null, idleCpu,
                    (ownCpuAfter - ownCpuBefore).TotalSeconds / cpuSeconds, memory, metricsBefore, metricsAfter, udpBefore, udpAfter,
                    $"{loadBefore} -> {loadAfter}");

                foreach (var party in parties)
                {
                    if (api is not null && party.Token is { } token && party.Leg is { } legUri)
                    {
                        try
                        {
                            await api.LeaveRawAsync(token, legUri.OriginalString, cancellation: cancellation).ConfigureAwait(false);
                        }
                        catch (HttpRequestException)
                        {
                        }
                    }
                }
                return 0;
            }
            finally
            {
                await stopReceiving.CancelAsync().ConfigureAwait(false);
                foreach (var party in parties)
                {
                    party.Dispose();
                }
                await Task.WhenAll(receiveLoops).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (server is not null)
                {
                    // Kills the server, writes its last lines to the log and deletes its data and key folders.
                    await server.DisposeAsync().ConfigureAwait(false);
                }
                serverLog?.Dispose();
            }
        }

        private static List<OutgoingStream> BuildStreams(Options options, List<Party> parties, int partiesPerVisit, Random random)
        {
            var videoPacketsPerSecond = options.VideoKbps * 1000.0 / 8 / options.VideoPacketBytes;
            var streams = new List<OutgoingStream>();
            foreach (var party in parties)
            {
                streams.Add(new OutgoingStream
                {
                    Index = streams.Count,
                    Party = party,
                    IsVideo = true,
                    Socket = party.SendSocket,
                    Destinations = options.Direct ? DirectTargets(parties, party, video: true) : [party.VideoDestination!],
                    Ssrc = (uint)random.NextInt64(1, uint.MaxValue),
                    PayloadType = 96,
                    ClockRate = 90_000,
                    FramesPerSecond = VideoFramesPerSecond,
                    PacketsPerSecond = videoPacketsPerSecond,
                    PacketBytes = options.VideoPacketBytes,
                    Receivers = partiesPerVisit - 1,
                });
                streams.Add(new OutgoingStream
                {
                    Index = streams.Count,
                    Party = party,
                    IsVideo = false,
                    Socket = party.SendSocket,
                    Destinations = options.Direct ? DirectTargets(parties, party, video: false) : [party.AudioDestination!],
                    Ssrc = (uint)random.NextInt64(1, uint.MaxValue),
                    PayloadType = 111,
                    ClockRate = 48_000,
                    FramesPerSecond = AudioPacketsPerSecond,
                    PacketsPerSecond = AudioPacketsPerSecond,
                    PacketBytes = options.AudioPacketBytes,
                    Receivers = partiesPerVisit - 1,
                });
            }
            return streams;
        }

        /// <summary>
        /// --direct: where a party's stream goes with no server in between. A receiver's j-th video/audio pair takes its j-th peer in
        /// party order (kiosk first), the way the server fills slots.
        /// </summary>
        private static SocketAddress[] DirectTargets(List<Party> parties, Party sender, bool video)
        {
            var targets = new List<SocketAddress>();
            foreach (var receiver in parties.Where(p => p.VisitIndex == sender.VisitIndex && p != sender))
            {
                // The receiver's peers in party order, without itself: the sender's place in that list is its slot pair.
                var slot = parties.Where(p => p.VisitIndex == receiver.VisitIndex && p != receiver).ToList().IndexOf(sender);
                targets.Add(Address(receiver.MediaLines[(2 * slot) + (video ? 0 : 1)].Port));
            }
            return [.. targets];
        }

        private static SocketAddress Address(int port) => new IPEndPoint(IPAddress.Loopback, port).Serialize();

        private static async Task ProgressUntilAsync(Thread sender, ReceptionCounters counters, List<OutgoingStream> streams, int seconds,
            CancellationToken cancellation)
        {
            var watch = Stopwatch.StartNew();
            var nextReport = TimeSpan.FromSeconds(5);
            while (sender.IsAlive)
            {
                await Task.Delay(100, cancellation).ConfigureAwait(false);
                if (watch.Elapsed >= nextReport && watch.Elapsed.TotalSeconds < seconds)
                {
                    long sent = 0;
                    foreach (var stream in streams)
                    {
                        sent += stream.Sent;
                    }
                    Console.WriteLine($"  t={watch.Elapsed.TotalSeconds,5:0.0} s  sent {sent,9}  received {Interlocked.Read(ref counters.Received),9}");
                    nextReport += TimeSpan.FromSeconds(5);
                }
            }
        }

        /// <summary>The server's settings for a load run, then the --server-env ones (which win).</summary>
        internal static Dictionary<string, string> ServerSettings(Options options)
        {
            var settings = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                // One officer mints every party's token here; the per-user minting limit (30 a minute) is not what a load run measures.
                ["MediaServer__Limits__TokenRequests"] = "1000000",
                ["DOTNET_ENVIRONMENT"] = "Production",
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
            };
            foreach (var pair in options.ServerEnvironment)
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                settings[pair[..equals]] = pair[(equals + 1)..];
            }
            return settings;
        }

        /// <summary>The unlabelled and labelled samples of /metrics keyed by name and labels; none without a server or when the scrape fails.</summary>
        private static async Task<Dictionary<string, double>> MetricsAsync(MediaServerApi? api, CancellationToken cancellation)
        {
            if (api is null)
            {
                return [];
            }
            try
            {
                return new Dictionary<string, double>((await api.GetMetricsAsync(cancellation).ConfigureAwait(false)).Series, StringComparer.Ordinal);
            }
            catch (Exception e) when (e is HttpRequestException or UnexpectedStatusException)
            {
                return [];
            }
        }
    }

    internal static class Report
    {
        public static void Print(Options options, int parties, List<OutgoingStream> streams, ReceptionCounters counters, TrafficSender sender,
            double seconds, double? serverCpu, double? serverIdleCpu, double ownCpu, (long? Rss, long? Peak) memory,
            Dictionary<string, double> metricsBefore, Dictionary<string, double> metricsAfter,
            Dictionary<string, long> udpBefore, Dictionary<string, long> udpAfter, string loadAverage)
        {
            long sent = 0, expected = 0, received = 0, sendErrors = 0;
            long videoExpected = 0, videoReceived = 0, audioExpected = 0, audioReceived = 0;
            var silentStreams = 0;
            foreach (var stream in streams)
            {
                var got = counters.ReceivedPerStream[stream.Index];
                sent += stream.Sent;
                sendErrors += stream.SendErrors;
                expected += stream.Sent * stream.Receivers;
                received += got;
                if (stream.IsVideo)
                {
                    videoExpected += stream.Sent * stream.Receivers;
                    videoReceived += got;
                }
                else
                {
                    audioExpected += stream.Sent * stream.Receivers;
                    audioReceived += got;
                }
                if (got == 0 && stream.Sent > 0)
                {
                    silentStreams++;
                }
            }

            static string Loss(long expected, long received) =>
                expected == 0 ? "n/a" : (100.0 * (expected - received) / expected).ToString("0.000", CultureInfo.InvariantCulture) + " %";
            static string Mb(long? bytes) => bytes is { } b ? (b / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB" : "n/a";
            double Delta(string name) => metricsAfter.GetValueOrDefault(name) - metricsBefore.GetValueOrDefault(name);
            long UdpDelta(string name) => udpAfter.GetValueOrDefault(name) - udpBefore.GetValueOrDefault(name);

            var latency = counters.Latency;
            var lines = new List<(string, string)>
            {
                ("visits", options.Visits.ToString(CultureInfo.InvariantCulture)),
                ("parties", $"{parties} ({options.Visitors} visitor(s) + 1 kiosk per visit)"),
                ("send window", $"{seconds:0.00} s after {options.WarmUpSeconds} s of warm-up (paced every {options.TickMilliseconds} ms; worst sender lag {sender.MaxLagTicks * 1000.0 / Stopwatch.Frequency:0.0} ms)"),
                ("packets sent", $"{sent} ({sent / seconds:0} packets/s; {sendErrors} send errors)"),
                ("packets relayed (received)", $"{received} (expected {expected})"),
                ("relayed packets/s", $"{received / seconds:0}"),
                ("loss", $"{Loss(expected, received)} (video {Loss(videoExpected, videoReceived)}, audio {Loss(audioExpected, audioReceived)}; streams with nothing received: {silentStreams})"),
                ("added latency p50 / p99 / max", $"{latency.Percentile(0.50):0.000} / {latency.Percentile(0.99):0.000} / {latency.MaxMilliseconds:0.000} ms ({latency.Count} samples)"),
                ("server CPU", serverCpu is { } cpu
                    ? $"{cpu * 100:0.0} % of one core (utime+stime over the send window"
                        + (serverIdleCpu is { } idle ? $"; {idle * 100:0.0} % with the same legs and no media yet)" : ")")
                    : "n/a (no server pid)"),
                ("server RSS", $"{Mb(memory.Rss)} at the end of the window (peak {Mb(memory.Peak)})"),
                ("load generator CPU", $"{ownCpu * 100:0.0} % of one core"),
                ("server counters (delta)", $"in {Delta("mediaserver_packets_in_total"):0}, out {Delta("mediaserver_packets_out_total"):0}, drops "
                    + string.Join(", ", metricsAfter.Keys.Where(k => k.StartsWith("mediaserver_drops_total", StringComparison.Ordinal))
                        .Select(k => $"{k[(k.IndexOf('"', StringComparison.Ordinal) + 1)..k.LastIndexOf('"')]}={Delta(k):0}"))),
                ("recording (delta)", $"{Delta("mediaserver_recording_bytes_total") / 1048576.0 / seconds:0.00} MiB/s journaled, "
                    + $"{Delta("mediaserver_recording_dropped_packets_total"):0} packets dropped from journals, "
                    + $"{Delta("mediaserver_recording_failures_total"):0} failures, {metricsAfter.GetValueOrDefault("mediaserver_recordings_active"):0} active"),
                ("kernel UDP (delta, machine-wide)", $"RcvbufErrors {UdpDelta("RcvbufErrors")}, SndbufErrors {UdpDelta("SndbufErrors")}, InErrors {UdpDelta("InErrors")}"),
                ("machine load average (1 min)", $"{loadAverage} on {Environment.ProcessorCount} cores"),
                ("other datagrams received", $"RTCP {Interlocked.Read(ref counters.Rtcp)}, not ours {Interlocked.Read(ref counters.Foreign)}, "
                    + $"warm-up copies {Interlocked.Read(ref counters.WarmUp)} (expected {streams.Sum(s => s.WarmUpSent * s.Receivers)})"),
            };
            Console.WriteLine();
            Console.WriteLine($"Load run: --visits {options.Visits} --visitors {options.Visitors} --seconds {options.Seconds} --seed {options.Seed}"
                + string.Concat(options.ServerEnvironment.Select(e => " --server-env " + e)));
            foreach (var (name, value) in lines)
            {
                Console.WriteLine($"  {name,-34} {value}");
            }
            Console.WriteLine(
                $"RESULT visits={options.Visits} visitors={options.Visitors} parties={parties} seconds={seconds:0.00} sent={sent} received={received} "
                + $"expected={expected} relayed_pps={received / seconds:0} loss_pct={(expected == 0 ? 0 : 100.0 * (expected - received) / expected):0.000} "
                + $"p50_ms={latency.Percentile(0.50):0.000} p99_ms={latency.Percentile(0.99):0.000} max_ms={latency.MaxMilliseconds:0.000} "
                + $"server_cpu_pct={(serverCpu is { } c ? (c * 100).ToString("0.0", CultureInfo.InvariantCulture) : "n/a")} "
                + $"server_rss_mib={(memory.Rss is { } r ? (r / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) : "n/a")} "
                + $"server_idle_cpu_pct={(serverIdleCpu is { } i ? (i * 100).ToString("0.0", CultureInfo.InvariantCulture) : "n/a")} "
                + $"loadgen_cpu_pct={ownCpu * 100:0.0} loadavg={loadAverage.Replace(" ", "", StringComparison.Ordinal)} "
                + $"journal_mib_s={Delta("mediaserver_recording_bytes_total") / 1048576.0 / seconds:0.00} "
                + $"journal_dropped={Delta("mediaserver_recording_dropped_packets_total"):0}");
        }
    }
}
