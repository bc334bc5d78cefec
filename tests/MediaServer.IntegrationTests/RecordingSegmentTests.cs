using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using MediaServer.Testing;
using MediaServer.Testing.Rtp;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests;

/// <summary>
/// Recordings that cannot lose media silently, through the real server: a visit that goes on after a restart (SIGKILL, or
/// SIGTERM, which drains: RestartTests.DrainAsync) stays live, its parties rejoin with their tokens, and it records a second
/// segment chained to the first, listed with the gap in the signed manifest and checked by verify;
/// a full disk under MediaServer:Recording:OnFailure=refuse refuses joins (503, audited, counted) and ends the visit that was
/// being recorded; a journal buffer too small for the visit drops packets and the manifest says exactly how many.
/// </summary>
public sealed class RecordingSegmentTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(240);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_visit_that_goes_on_after_a_restart_records_a_second_segment_chained_to_the_first_and_verify_checks_both(bool kill)
    {
        var server = await ServerProcess.StartAsync(output);
        string root = server.RootDirectory;
        ServerProcess? restarted = null;
        try
        {
            var now = DateTimeOffset.UtcNow;
            var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: now, end: now.AddMinutes(5));
            await using (var kiosk = new RtpParty("kiosk", 1))
            await using (var visitor = new RtpParty("visitor1", 2))
            {
                await visit.JoinAndRelayAsync(kiosk, visitor);
                await visitor.VideoIn.WaitForRtpAsync(visitor.VideoIn.Packets.Count + 60, TimeSpan.FromSeconds(20), "two more seconds of kiosk video");
                Assert.Equal("live", (await visit.GetAsync()).State);
                if (kill)
                {
                    await server.KillAsync();
                }
                else
                {
                    await RestartTests.DrainAsync(server, visit, output);
                }
            }
            var stoppedAt = DateTimeOffset.UtcNow;
            output.WriteLine($"server {(kill ? "killed" : "stopped")} at {stoppedAt:O}");

            restarted = await ServerProcess.StartAsync(output, root, null);
            var healthy = Stopwatch.StartNew();
            // Live again before any party is back: not ended for want of legs, not left scheduled.
            Assert.Equal("live", (await restarted.Api.GetVisitAsync(visit.OfficerToken, visit.Id)).State);
            // The parties come back (their client reconnects): the same tokens, new media sockets, the restarted server.
            await using (var kiosk = new RtpParty("kiosk", 1))
            await using (var visitor = new RtpParty("visitor1", 2))
            {
                var kioskLeg = await restarted.Api.JoinAsync(visit.KioskToken, visit.Id, kiosk.OfferSdp);
                var visitorLeg = await restarted.Api.JoinAsync(visit.VisitorToken(1), visit.Id, visitor.OfferSdp);
                kiosk.StartSending(kioskLeg.AnswerSdp);
                visitor.StartSending(visitorLeg.AnswerSdp);
                await visitor.VideoIn.WaitForRtpAsync(1, TimeSpan.FromSeconds(20), "kiosk video after the restart");
                await kiosk.VideoIn.WaitForRtpAsync(1, TimeSpan.FromSeconds(20), "visitor video after the restart");
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"RECOVERY {(kill ? "SIGKILL" : "SIGTERM")}: /healthz answered -> media both ways in {healthy.Elapsed.TotalMilliseconds:0} ms"));
                await visitor.VideoIn.WaitForRtpAsync(90, TimeSpan.FromSeconds(20), "kiosk video after the restart");
                await kiosk.VideoIn.WaitForRtpAsync(90, TimeSpan.FromSeconds(20), "visitor video after the restart");
                Assert.Equal("live", (await restarted.Api.GetVisitAsync(visit.OfficerToken, visit.Id)).State);
                await restarted.Api.TerminateAsync(visit.OfficerToken, visit.Id, "segment test");
            }

            var investigator = await restarted.MintTokenAsync("investigator", "inv-1");
            var recording = await WaitForRecordingAsync(restarted, investigator, visit.Id, "render_failed", "rendered");
            output.WriteLine(recording.ToString());
            var manifest = recording.GetProperty("manifest");
            Assert.Equal("mediaserver-recording-manifest/2", manifest.GetProperty("format").GetString());
            var segments = manifest.GetProperty("segments").EnumerateArray().ToList();
            Assert.Equal(2, segments.Count);
            Assert.Equal("journal.msj", segments[0].GetProperty("file").GetString());
            Assert.Equal("journal-0002.msj", segments[1].GetProperty("file").GetString());
            Assert.Equal(kill ? "recovered" : "sealed", segments[0].GetProperty("state").GetString());
            Assert.Equal("sealed", segments[1].GetProperty("state").GetString());
            Assert.Equal(segments[0].GetProperty("chainHash").GetString(), segments[1].GetProperty("previousChainHash").GetString());
            foreach (var segment in segments)
            {
                Assert.True(segment.GetProperty("records").GetInt64() > 100, "a segment with almost nothing in it: " + segment);
                Assert.Equal(64, segment.GetProperty("sha256").GetString()!.Length);
            }
            var gap = Assert.Single(manifest.GetProperty("segmentGaps").EnumerateArray().ToList());
            var gapFrom = gap.GetProperty("from").GetDateTimeOffset();
            var gapTo = gap.GetProperty("to").GetDateTimeOffset();
            output.WriteLine($"gap {gapFrom:O} .. {gapTo:O} ({gap.GetProperty("seconds").GetDouble():0.00} s): {gap.GetProperty("reason").GetString()}");
            Assert.True(gapFrom <= stoppedAt.AddSeconds(1), "the gap starts after the server was gone");
            Assert.True(gapTo >= stoppedAt, "the gap ends before the server was gone");
            // The gap runs from the end of what segment 1 recorded to the Begin of segment 2.
            Assert.Equal(segments[0].GetProperty("last").GetDateTimeOffset(), gapFrom);
            Assert.InRange((segments[1].GetProperty("first").GetDateTimeOffset() - gapTo).TotalMilliseconds, -1, 1);
            Assert.Contains(kill ? "unexpectedly" : "server stopped", gap.GetProperty("reason").GetString(), StringComparison.Ordinal);
            // The review copy covers both segments: it runs from the first segment's media to the second's end.
            Assert.True(manifest.GetProperty("durationSeconds").GetDouble() >= (gapTo - gapFrom).TotalSeconds + 4,
                "the recording's span does not cover both segments: " + manifest.GetProperty("durationSeconds"));

            var verify = await restarted.Api.GetJsonAsync(investigator, $"api/recordings/{visit.Id}/verify");
            Assert.True(verify.GetProperty("ok").GetBoolean(), "the two-segment recording does not verify: " + verify);
            var folder = Path.Combine(restarted.DataDirectory, "recordings", visit.Id);
            // Offline verify trusts only a pinned key: the fingerprint the server publishes.
            var keyId = (await restarted.Api.GetJsonAsync(investigator, "api/recordings/public-key?format=json")).GetProperty("keyId").GetString()!;
            var cli = await ProcessRunner.RunAsync("dotnet", [RepoLayout.ServerDll, "verify", folder, "--key-id", keyId], TimeSpan.FromSeconds(60),
                new Dictionary<string, string>(), Path.GetDirectoryName(RepoLayout.ServerDll));
            output.WriteLine(cli.StdoutText);
            Assert.Equal(0, cli.ExitCode);

            // One flipped byte in segment 2: verify (API and offline) fails and names the segment.
            var path = Path.Combine(folder, "journal-0002.msj");
            var bytes = await File.ReadAllBytesAsync(path);
            var at = new Random(9).Next(64, bytes.Length);
            bytes[at] ^= 0x01;
            await File.WriteAllBytesAsync(path, bytes);
            var tampered = await restarted.Api.GetJsonAsync(investigator, $"api/recordings/{visit.Id}/verify");
            output.WriteLine($"journal-0002.msj byte {at} flipped: {tampered}");
            Assert.False(tampered.GetProperty("ok").GetBoolean());
            Assert.Contains(tampered.GetProperty("problems").EnumerateArray(), p => p.GetString()!.Contains("journal-0002.msj", StringComparison.Ordinal));
            var offline = await ProcessRunner.RunAsync("dotnet", [RepoLayout.ServerDll, "verify", folder, "--key-id", keyId], TimeSpan.FromSeconds(60),
                new Dictionary<string, string>(), Path.GetDirectoryName(RepoLayout.ServerDll));
            Assert.Equal(1, offline.ExitCode);
            Assert.Contains("journal-0002.msj", offline.StdoutText, StringComparison.Ordinal);
            bytes[at] ^= 0x01;
            await File.WriteAllBytesAsync(path, bytes);
            Assert.True((await restarted.Api.GetJsonAsync(investigator, $"api/recordings/{visit.Id}/verify")).GetProperty("ok").GetBoolean());

            var audit = await restarted.Api.GetAuditAsync(await restarted.MintTokenAsync("admin", "admin-1"));
            Assert.Contains(audit, e => e.Action == "recording.continued" && e.Target == "recording/" + visit.Id);
            Assert.Contains(audit, e => e.Action == "visit.resumed" && e.Target == "visit/" + visit.Id);
            Assert.Contains(audit, e => e.Action == "server.start" && e.Outcome!.Contains("1 live visit", StringComparison.Ordinal));
            Assert.Equal(kill ? 0 : 1, audit.Count(e => e.Action == "server.drain"));
            Assert.DoesNotContain(audit, e => e.Action == "visit.end" && e.Target == "visit/" + visit.Id);
        }
        finally
        {
            if (restarted is not null)
            {
                await restarted.DisposeAsync();
            }
            await server.DisposeAsync();
            TryDelete(root);
        }
    }

    [Fact]
    public async Task A_full_disk_under_refuse_ends_the_recorded_visit_and_refuses_new_joins_with_503_audited_and_counted()
    {
        var disk = await SmallDisk.MountAsync();
        var mount = disk.Path;
        try
        {
            // OnFailure is not set: refuse is the default.
            await using var server = await ServerProcess.StartAsync(output, null,
                new Dictionary<string, string> { ["MediaServer__Recording__Directory"] = mount });
            var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: DateTimeOffset.UtcNow);
            await using var kiosk = new RtpParty("kiosk", 1);
            await using var visitor = new RtpParty("visitor1", 2);
            await visit.JoinAndRelayAsync(kiosk, visitor);

            // The journal fills the disk; the visit it was recording is ended rather than going on unrecorded.
            await Poll.UntilAsync(server.Api.GetMetricsAsync, m => m.Counter("mediaserver_recording_failures_total") >= 1,
                TimeSpan.FromSeconds(60), "the recording to fail on the full disk", TimeSpan.FromMilliseconds(250));
            var ended = await visit.WaitForStateAsync("terminated", TimeSpan.FromSeconds(20));
            output.WriteLine("visit after the failure: " + JsonSerializer.Serialize(ended));
            var kioskAtEnd = kiosk.VideoIn.Packets.Count;
            var visitorAtEnd = visitor.VideoIn.Packets.Count;
            // Both parties keep sending; nothing reaches either once the legs are closed.
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.InRange(kiosk.VideoIn.Packets.Count - kioskAtEnd, 0, 2);
            Assert.InRange(visitor.VideoIn.Packets.Count - visitorAtEnd, 0, 2);
            var rejoin = await server.Api.JoinRawAsync(visit.KioskToken, visit.Id, kiosk.OfferSdp);
            Assert.Equal(HttpStatusCode.Gone, rejoin.Status);

            // Whatever space is left goes too, then a new visit's first join: its journal cannot be created.
            FillDisk(mount);
            var second = await VisitScenario.CreateAsync(server, visitors: 1, start: DateTimeOffset.UtcNow);
            await using var kiosk2 = new RtpParty("kiosk", 3);
            var refused = await server.Api.JoinRawAsync(second.KioskToken, second.Id, kiosk2.OfferSdp);
            output.WriteLine("join on the full disk: " + refused);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.Status);
            Assert.Equal("application/problem+json", refused.ContentType);
            Assert.StartsWith("This visit cannot be recorded, so it cannot take place now", refused.Problem!.Detail, StringComparison.Ordinal);
            Assert.DoesNotContain(mount, refused.Body, StringComparison.Ordinal);
            var again = await server.Api.JoinRawAsync(second.VisitorToken(1), second.Id, kiosk2.OfferSdp);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, again.Status);
            Assert.Equal("scheduled", (await second.GetAsync()).State);

            var metrics = await server.Api.GetMetricsAsync();
            Assert.Equal(2, metrics.Counter("mediaserver_recording_refused_joins_total"));
            Assert.Equal(1, metrics.Counter("mediaserver_recording_unrecorded_visits"));
            Assert.True(metrics.Counter("mediaserver_recording_failures_total") >= 2);
            var audit = await server.Api.GetAuditAsync(await server.MintTokenAsync("admin", "admin-1"));
            Assert.Contains(audit, e => e.Action == "recording.failed" && e.Target == "recording/" + visit.Id);
            Assert.Contains(audit, e => e.Action == "recording.failed" && e.Target == "recording/" + second.Id);
            Assert.Contains(audit, e => e.Action == "visit.terminate" && e.Actor == "system" && e.Target == "visit/" + visit.Id
                && e.Outcome!.Contains("recording failed", StringComparison.Ordinal));
            Assert.Equal(2, audit.Count(e => e.Action == "visit.join" && e.Target == "visit/" + second.Id
                && e.Outcome!.Contains("refused: 503", StringComparison.Ordinal)));
            Assert.False(server.Process.HasExited, "the server died");
        }
        finally
        {
            await disk.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_journal_buffer_too_small_for_the_visit_drops_packets_and_the_manifest_counts_exactly_what_the_metric_counts()
    {
        await using var server = await ServerProcess.StartAsync(output, null, new Dictionary<string, string>
        {
            // 4 KiB drained once a second: a few packets of each second fit, the rest are dropped and counted.
            ["MediaServer__Recording__BufferBytes"] = "4096",
            ["MediaServer__Recording__FlushInterval"] = "00:00:01",
        });
        var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: DateTimeOffset.UtcNow);
        await using (var kiosk = new RtpParty("kiosk", 1))
        await using (var visitor = new RtpParty("visitor1", 2))
        {
            await visit.JoinAndRelayAsync(kiosk, visitor);
            await visitor.VideoIn.WaitForRtpAsync(visitor.VideoIn.Packets.Count + 90, TimeSpan.FromSeconds(20), "three more seconds of video");
            await server.Api.TerminateAsync(visit.OfficerToken, visit.Id, "overflow test");
        }
        var investigator = await server.MintTokenAsync("investigator", "inv-1");
        var recording = await WaitForRecordingAsync(server, investigator, visit.Id, "render_failed", "rendered");
        var manifest = recording.GetProperty("manifest");
        var metric = (await server.Api.GetMetricsAsync()).Counter("mediaserver_recording_dropped_packets_total");
        var dropped = manifest.GetProperty("droppedPackets").GetInt64();
        var perTrack = manifest.GetProperty("tracks").EnumerateArray().Sum(t => t.GetProperty("droppedPackets").GetInt64());
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"dropped: manifest {dropped}, tracks {perTrack}, segment 1 {manifest.GetProperty("journal").GetProperty("droppedPackets").GetInt64()}, metric {metric}"));
        Assert.True(dropped > 0, "nothing was dropped with a 4 KiB buffer");
        Assert.Equal(metric, (double)dropped);
        Assert.Equal(dropped, perTrack);
        Assert.Equal(dropped, manifest.GetProperty("journal").GetProperty("droppedPackets").GetInt64());
        Assert.Equal(dropped, manifest.GetProperty("segments")[0].GetProperty("droppedPackets").GetInt64());
        // Verify recounts the journal's Event records against the signed numbers.
        var verify = await server.Api.GetJsonAsync(investigator, $"api/recordings/{visit.Id}/verify");
        Assert.True(verify.GetProperty("ok").GetBoolean(), "verify: " + verify);
    }

    private static void FillDisk(string mount)
    {
        try
        {
            using var filler = new FileStream(Path.Combine(mount, "filler"), FileMode.Create, FileAccess.Write, FileShare.None, 1);
            var block = new byte[4096];
            for (var i = 0; i < 1024; i++)
            {
                filler.Write(block);
                filler.Flush(flushToDisk: true);
            }
        }
        catch (IOException)
        {
            // No space left: what this is for.
        }
    }

    private static async Task<JsonElement> WaitForRecordingAsync(ServerProcess server, string token, string visitId, params string[] states) =>
        await Poll.UntilAsync(
            async () => await server.Api.GetJsonAsync(token, $"api/recordings/{visitId}", allowMissing: true),
            r => r.ValueKind == JsonValueKind.Object && states.Contains(r.GetProperty("recording").GetProperty("state").GetString()),
            Settle, $"recording {visitId} to be {string.Join(" or ", states)}", TimeSpan.FromMilliseconds(250));


    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
