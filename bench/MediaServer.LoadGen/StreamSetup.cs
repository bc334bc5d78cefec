using System.Diagnostics;
using System.Globalization;
using MediaServer.Testing;

namespace MediaServer.LoadGen;

/// <summary>
/// --streams-out: the server side of the relay bench (bench/relay/run.sh). Starts the server, schedules N two-party visits
/// and joins both parties of each as plain-RTP clients (one sendrecv video m-line each way), then hands the media to the C
/// load generator: it writes one line per stream, "SERVER_PORT SINK_PORT SOURCE_PORT" (rtpload's input), where a party sends
/// from the port it receives on (symmetric RTP, RFC 4961), so SOURCE_PORT is its own offered video port and SINK_PORT is the
/// other party's. The parties' RTP sockets are released for rtpload to bind; their RTCP and audio sockets stay bound here
/// (the server's RTCP reports land somewhere). Prints "READY PID" and waits until stdin closes, then leaves and stops the server.
/// With --render-visit S a recorded visit with S seconds of real media is prepared first (<see cref="RenderVisit"/>); a line
/// "render" on stdin ends it, and "RENDERED STATE SECONDS" is printed once its review copy is rendered.
/// With --webrtc every party joins as a browser does instead (<see cref="WebRtcClient"/>: ICE, DTLS, AES-GCM SRTP keys) and
/// each line also carries "TX_KEY RX_KEY CHECK", so rtpload sends and receives SRTP through the server's WebRTC port.
/// </summary>
internal static class StreamSetup
{
    public static async Task<int> RunAsync(Options options, string streamsPath, CancellationToken cancellation)
    {
        var partyCount = options.Visits * 2;
        var portsPerSide = partyCount * 2 * 2;
        var setupBudget = TimeSpan.FromSeconds(60 + (2 * partyCount));
        using var serverLog = new ServerLog(Path.Combine(Path.GetTempPath(), $"mediaserver-relaybench-{Environment.ProcessId}.log"));
        var settings = LoadRun.ServerSettings(options);
        var parties = new List<Party>();
        var browsers = new List<WebRtcClient>();
        RenderVisit? render = null;
        Task? consent = null;
        using var stopConsent = new CancellationTokenSource();
        var server = await ServerProcess.StartAsync(serverLog, rootDirectory: null, settings, portsPerSide + 200, options.ServerDll ?? RepoLayout.ServerDll)
            .ConfigureAwait(false);
        try
        {
            var officer = await server.MintTokenAsync("officer", "relaybench", ttl: TimeSpan.FromHours(2)).ConfigureAwait(false);
            var clientFirst = PortAllocator.FreeClientUdpRange(portsPerSide + 200);
            var clientPorts = new ClientPorts(clientFirst, clientFirst + portsPerSide + 199);
            using var api = new MediaServerApi(server.BaseAddress) { MetricsToken = officer };
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            timeout.CancelAfter(setupBudget);
            if (options.RenderVisitSeconds > 0)
            {
                render = await RenderVisit.PrepareAsync(server, officer, options.RenderVisitSeconds, serverLog, timeout.Token).ConfigureAwait(false);
                Console.WriteLine($"render visit: {options.RenderVisitSeconds} s of media sent each way; ends on a 'render' line on stdin");
            }
            var watch = Stopwatch.StartNew();
            var now = DateTimeOffset.UtcNow;
            var end = now + TimeSpan.FromHours(1);
            var lines = new List<string>();
            var certificate = options.WebRtc ? Transport.WebRtc.DtlsCertificate.CreateEphemeral() : null;
            var random = new Random(options.Seed);
            if (options.WebRtc)
            {
                consent = KeepConsentAsync(browsers, stopConsent.Token);
            }
            for (var v = 0; v < options.Visits; v++)
            {
                var request = new CreateVisitRequest(new PersonDto($"inmate{v}", $"Inmate {v}"), [new PersonDto($"visitor{v}", $"Visitor {v}")], now, end);
                var visit = await api.CreateVisitAsync(officer, request, timeout.Token).ConfigureAwait(false);
                if (certificate is not null)
                {
                    var pairOfBrowsers = new List<WebRtcClient>();
                    foreach (var id in visit.Participants.OrderByDescending(p => p.Role == "kiosk").Select(p => p.Id))
                    {
                        var token = (await api.MintParticipantTokenAsync(officer, visit.Id, id, timeout.Token).ConfigureAwait(false)).Token;
                        // rtpload sends stream i with SSRC 0x1000 + i; the offer announces the same (RFC 5576 §4.1).
                        var ssrc = (uint)(0x1000 + lines.Count + pairOfBrowsers.Count);
                        var browser = await WebRtcClient.JoinAsync(api, token, visit.Id, clientPorts, ssrc, certificate, random, timeout.Token)
                            .ConfigureAwait(false);
                        pairOfBrowsers.Add(browser);
                        lock (browsers)
                        {
                            browsers.Add(browser);
                        }
                    }
                    for (var i = 0; i < 2; i++)
                    {
                        var self = pairOfBrowsers[i];
                        lines.Add(string.Create(CultureInfo.InvariantCulture,
                            $"{self.Server.Port} {pairOfBrowsers[1 - i].Port} {self.Port} {self.SendKeyHex} {self.ReceiveKeyHex} {Convert.ToHexString(self.ConsentCheck)}"));
                    }
                    continue;
                }
                var pair = new List<Party>();
                foreach (var (id, kiosk) in visit.Participants.Select(p => (p.Id, Kiosk: p.Role == "kiosk")).OrderByDescending(p => p.Kiosk))
                {
                    var party = new Party(parties.Count, v, visit.Id, id, kiosk, 1, clientPorts);
                    parties.Add(party);
                    pair.Add(party);
                    party.Token = (await api.MintParticipantTokenAsync(officer, visit.Id, id, timeout.Token).ConfigureAwait(false)).Token;
                    var leg = await api.JoinAsync(party.Token, visit.Id, party.Offer(), cancellation: timeout.Token,
                        query: options.Symmetric ? "?rtp=symmetric" : "").ConfigureAwait(false);
                    party.Leg = new Uri(leg.Location, UriKind.RelativeOrAbsolute);
                    party.ApplyAnswer(leg.AnswerSdp);
                }
                for (var i = 0; i < 2; i++)
                {
                    var self = pair[i];
                    var other = pair[1 - i];
                    lines.Add(string.Create(CultureInfo.InvariantCulture,
                        $"{Port(self.VideoDestination!)} {other.MediaLines[0].Port} {self.MediaLines[0].Port}"));
                }
            }
            foreach (var party in parties)
            {
                party.MediaLines[0].Rtp.Dispose(); // rtpload binds it: it sends and receives there.
            }
            await stopConsent.CancelAsync().ConfigureAwait(false);
            if (consent is not null)
            {
                await consent.ConfigureAwait(false);
            }
            foreach (var browser in browsers)
            {
                browser.Dispose(); // rtpload binds the port, keeps consent and sends the SRTP.
            }
            await File.WriteAllLinesAsync(streamsPath, lines, cancellation).ConfigureAwait(false);
            Console.WriteLine($"{options.Visits} visits, {parties.Count + browsers.Count} parties joined{(options.WebRtc ? " over WebRTC (ICE, DTLS, AES-GCM)" : "")} in {watch.Elapsed.TotalSeconds:0.0} s; server log {serverLog.Path}");
            Console.WriteLine($"READY {server.Process.Id}");
            await Console.Out.FlushAsync(cancellation).ConfigureAwait(false);
            // Held until the bench closes our stdin; a 'render' line ends the render visit, whose review copy then renders.
            Task<(string State, double Seconds)>? rendering = null;
            while (await Task.Run(Console.In.ReadLine, cancellation).ConfigureAwait(false) is { } command)
            {
                if (command.Trim() == "render" && render is not null && rendering is null)
                {
                    rendering = render.EndAndWaitForRenderAsync(cancellation);
                    Console.WriteLine("RENDER_STARTED");
                }
            }
            if (rendering is not null)
            {
                var (state, seconds) = await rendering.ConfigureAwait(false);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RENDERED {state} {seconds:0.0}"));
            }
            var metrics = await api.GetMetricsAsync(cancellation).ConfigureAwait(false);
            foreach (var (name, value) in metrics.Series.Where(s => s.Key.StartsWith("mediaserver_drops_total", StringComparison.Ordinal)
                || s.Key.StartsWith("mediaserver_recording_dropped", StringComparison.Ordinal)
                || s.Key.StartsWith("mediaserver_udp_receive_drops", StringComparison.Ordinal)
                || s.Key.StartsWith("mediaserver_packets_", StringComparison.Ordinal)))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"METRIC {name} {value:0}"));
            }
            return 0;
        }
        finally
        {
            await stopConsent.CancelAsync().ConfigureAwait(false);
            foreach (var browser in browsers)
            {
                browser.Dispose();
            }
            if (render is not null)
            {
                await render.DisposeAsync().ConfigureAwait(false);
            }
            foreach (var party in parties)
            {
                party.Dispose();
            }
            await server.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Repeats every joined browser's consent check every 3 s while the others join, as a browser does every 5 s or so
    /// (RFC 7675 §5.1); the server closes a leg after 30 s without one, and 500 joins take longer than that.
    /// </summary>
    private static async Task KeepConsentAsync(List<WebRtcClient> browsers, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            WebRtcClient[] snapshot;
            lock (browsers)
            {
                snapshot = [.. browsers];
            }
            foreach (var browser in snapshot)
            {
                browser.RefreshConsent();
            }
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(3), stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static int Port(System.Net.SocketAddress address) => (address.Buffer.Span[2] << 8) | address.Buffer.Span[3];
}
