using System.Diagnostics;
using System.Net;
using System.Text.Json;
using MediaServer.Codecs.Recording;
using MediaServer.Recording;
using MediaServer.Recording.Journal;
using MediaServer.Recording.Manifest;
using MediaServer.Testing;
using MediaServer.Testing.Rtp;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests;

/// <summary>
/// Recording through the real server: a crash (SIGKILL) loses at most the last second, a privileged visit leaves nothing,
/// a full disk is loud but never stops the visit, and a flipped byte anywhere makes verify fail and say where.
/// </summary>
public sealed class RecordingTests(ITestOutputHelper output)
{
    // Sealing is immediate; rendering the review copy takes seconds of FFmpeg per second of visit on a busy 2-core machine.
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task A_server_killed_mid_visit_recovers_the_journal_at_restart_and_it_verifies()
    {
        var server = await ServerProcess.StartAsync(output);
        string root = server.RootDirectory;
        ServerProcess? restarted = null;
        try
        {
            // A visit that is still running at the kill: setting up (tokens from the CLI, joins) takes seconds on a busy
            // machine, so the scheduled end leaves room for it; the kill comes 5 s after media starts flowing.
            var now = DateTimeOffset.UtcNow;
            var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: now, end: now.AddSeconds(40));
            await using var kiosk = new RtpParty("kiosk", 1);
            await using var visitor = new RtpParty("visitor1", 2);
            await visit.JoinAndRelayAsync(kiosk, visitor);
            // Five seconds of visit before the crash: the scenario, not a wait for a condition.
            await Task.Delay(TimeSpan.FromSeconds(5));
            var killedAt = DateTimeOffset.UtcNow;
            Assert.Equal("live", (await visit.GetAsync()).State);
            await server.KillAsync();
            output.WriteLine($"killed at {killedAt:O}");

            restarted = await ServerProcess.StartAsync(output, root, null);
            var investigator = await restarted.MintTokenAsync("investigator", "inv-1");
            var recording = await WaitForRecordingAsync(restarted, investigator, visit.Id, "render_failed", "rendered");
            output.WriteLine(recording.ToString());
            Assert.True(recording.GetProperty("recording").GetProperty("recovered").GetBoolean(), "the recording does not say it was recovered");

            var folder = Path.Combine(restarted.DataDirectory, "recordings", visit.Id);
            var perParty = RtpSpanByParticipant(Path.Combine(folder, VisitRecorder.JournalFileName));
            foreach (var participant in new[] { "i1", "v1" })
            {
                Assert.True(perParty.TryGetValue(participant, out var span), $"no RTP of {participant} in the recovered journal");
                output.WriteLine($"{participant}: {span.Count} RTP records from {span.First:O} to {span.Last:O} ({(span.Last - span.First).TotalSeconds:0.00} s); last {(killedAt - span.Last).TotalMilliseconds:0} ms before the kill");
                Assert.True(span.Last - span.First >= TimeSpan.FromSeconds(4), $"{participant}: only {(span.Last - span.First).TotalSeconds:0.00} s recovered");
                Assert.True(killedAt - span.Last <= TimeSpan.FromSeconds(1), $"{participant}: the last second before the kill is missing more than a second");
            }

            var verify = await restarted.Api.GetJsonAsync(investigator, $"api/recordings/{visit.Id}/verify");
            output.WriteLine("verify: " + verify);
            Assert.True(verify.GetProperty("ok").GetBoolean(), "the recovered recording does not verify: " + verify);
            Assert.True(verify.GetProperty("chainValid").GetBoolean());
            Assert.True(verify.GetProperty("signatureValid").GetBoolean());

            // Offline: the verify command on the folder, as an investigator would run it on an export, pinning the
            // facility's key by its fingerprint (without one it would say the signature was not checked against a trusted key).
            var key = await restarted.Api.GetJsonAsync(investigator, "api/recordings/public-key?format=json");
            var cli = await ProcessRunner.RunAsync("dotnet",
                [RepoLayout.ServerDll, "verify", folder, "--key-id", key.GetProperty("keyId").GetString()!], TimeSpan.FromSeconds(30),
                new Dictionary<string, string>(), Path.GetDirectoryName(RepoLayout.ServerDll));
            output.WriteLine(cli.StdoutText);
            Assert.Equal(0, cli.ExitCode);

            var audit = await restarted.Api.GetAuditAsync(await restarted.MintTokenAsync("admin", "admin-1"));
            Assert.Contains(audit, e => e.Action == "recording.recovered" && e.Target == "recording/" + visit.Id);
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
    public async Task A_flipped_byte_in_the_journal_the_review_copy_or_the_manifest_fails_verify_naming_the_file()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: DateTimeOffset.UtcNow);
        string folder;
        {
            await using var kiosk = new RtpParty("kiosk", 1);
            await using var visitor = new RtpParty("visitor1", 2);
            await visit.JoinAndRelayAsync(kiosk, visitor);
            await server.Api.FlagAsync(visit.OfficerToken, visit.Id, "raised voice at the kiosk");
            await server.Api.TerminateAsync(visit.OfficerToken, visit.Id, "recording tamper test");
        }
        var investigator = await server.MintTokenAsync("investigator", "inv-1");
        var recording = await WaitForRecordingAsync(server, investigator, visit.Id, "render_failed", "rendered");
        // The officer's flag went into the journal as a bookmark and from there into the signed manifest.
        var bookmarks = recording.GetProperty("flags").EnumerateArray().ToList();
        Assert.Single(bookmarks);
        Assert.Equal("raised voice at the kiosk", bookmarks[0].GetProperty("note").GetString());
        Assert.Equal("officer-1", bookmarks[0].GetProperty("by").GetString());
        folder = Path.Combine(server.DataDirectory, "recordings", visit.Id);
        // The signed manifest names the audit head at signing: a point in the log after the visit's own entries.
        var auditHead = recording.GetProperty("manifest").GetProperty("auditHead");
        var admin = await server.MintTokenAsync("admin", "admin-1");
        var visitEntries = (await server.Api.GetAuditAsync(admin)).Where(e => e.Target?.StartsWith("visit/" + visit.Id, StringComparison.Ordinal) == true).ToList();
        Assert.True(auditHead.GetProperty("seq").GetInt64() >= visitEntries.Max(e => e.Seq), $"audit head {auditHead} before the visit's entries");
        Assert.Equal(64, auditHead.GetProperty("hash").GetString()!.Length);
        var clean = await server.Api.GetJsonAsync(investigator, $"api/recordings/{visit.Id}/verify");
        Assert.True(clean.GetProperty("ok").GetBoolean(), "untouched recording does not verify: " + clean);

        var random = new Random(4);
        var targets = new List<(string, string)> { (VisitRecorder.JournalFileName, "journal:"), (RecordingManifest.FileName, "manifest:") };
        if (File.Exists(Path.Combine(folder, RecordingManifest.ReviewCopyFileName)))
        {
            targets.Add((RecordingManifest.ReviewCopyFileName, "media:"));
        }
        Assert.True(recording.GetProperty("recording").GetProperty("state").GetString() == "rendered",
            "the recording was not rendered: " + recording);
        foreach (var (file, expected) in targets)
        {
            var path = Path.Combine(folder, file);
            var bytes = await File.ReadAllBytesAsync(path);
            var at = random.Next(JournalFormat.PreambleLength, bytes.Length);
            bytes[at] ^= 0x01;
            await File.WriteAllBytesAsync(path, bytes);
            var report = await server.Api.GetJsonAsync(investigator, $"api/recordings/{visit.Id}/verify");
            output.WriteLine($"{file} byte {at} flipped: {report}");
            Assert.False(report.GetProperty("ok").GetBoolean(), $"verify passed with byte {at} of {file} flipped");
            var problems = report.GetProperty("problems").EnumerateArray().Select(p => p.GetString()!).ToList();
            Assert.Contains(problems, p => p.StartsWith(expected, StringComparison.Ordinal));
            bytes[at] ^= 0x01;
            await File.WriteAllBytesAsync(path, bytes);
        }
        var again = await server.Api.GetJsonAsync(investigator, $"api/recordings/{visit.Id}/verify");
        Assert.True(again.GetProperty("ok").GetBoolean(), "restored files do not verify: " + again);
    }

    [Fact]
    public async Task A_privileged_visit_leaves_nothing_on_disk()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: DateTimeOffset.UtcNow, privileged: true);
        await using (var kiosk = new RtpParty("kiosk", 1))
        await using (var visitor = new RtpParty("visitor1", 2))
        {
            await visit.JoinAndRelayAsync(kiosk, visitor);
            await server.Api.TerminateAsync(visit.OfficerToken, visit.Id, "privileged test");
        }
        var investigator = await server.MintTokenAsync("investigator", "inv-1");
        var response = await server.Api.SendAsync(HttpMethod.Get, $"api/recordings/{visit.Id}", investigator);
        Assert.Equal(HttpStatusCode.NotFound, response.Status);
        var recordings = Path.Combine(server.DataDirectory, "recordings");
        var files = Directory.Exists(recordings) ? Directory.GetFileSystemEntries(recordings, "*", SearchOption.AllDirectories) : [];
        Assert.True(files.Length == 0, "the recordings folder holds: " + string.Join(", ", files));
        var named = Directory.GetFileSystemEntries(server.DataDirectory, "*" + visit.Id + "*", SearchOption.AllDirectories);
        Assert.Empty(named);
        var metrics = await server.Api.GetMetricsAsync();
        Assert.Equal(0, metrics.Counter("mediaserver_recording_bytes_total"));
        var audit = await server.Api.GetAuditAsync(await server.MintTokenAsync("admin", "admin-1"));
        Assert.Single(audit, e => e.Action == "recording.refused" && e.Target == "visit/" + visit.Id);
    }

    /// <summary>
    /// With MediaServer:Recording:OnFailure=continue-and-alert (the behaviour before fail-closed became the default; the
    /// default, refuse, is RecordingSegmentTests.A_full_disk_under_refuse_ends_the_recorded_visit_and_refuses_new_joins_with_503_audited_and_counted).
    /// </summary>
    [Fact]
    public async Task A_full_disk_under_continue_and_alert_fails_the_recording_loudly_while_the_visit_relays_on()
    {
        var disk = await SmallDisk.MountAsync();
        var mount = disk.Path;
        try
        {
            await using var server = await ServerProcess.StartAsync(output, null, new Dictionary<string, string>
            {
                ["MediaServer__Recording__Directory"] = mount,
                ["MediaServer__Recording__OnFailure"] = "continue-and-alert",
            });
            var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: DateTimeOffset.UtcNow);
            await using var kiosk = new RtpParty("kiosk", 1);
            await using var visitor = new RtpParty("visitor1", 2);
            await visit.JoinAndRelayAsync(kiosk, visitor);

            var failed = await Poll.UntilAsync(server.Api.GetMetricsAsync, m => m.Counter("mediaserver_recording_failures_total") >= 1,
                TimeSpan.FromSeconds(60), "the recording to fail on the full disk", TimeSpan.FromMilliseconds(250));
            var failedAt = Stopwatch.GetTimestamp();
            output.WriteLine($"recording bytes when it failed: {failed.Counter("mediaserver_recording_bytes_total")}");

            // The visit goes on: both parties keep receiving each other after the failure.
            var videoBefore = visitor.VideoIn.Packets.Count;
            var kioskBefore = kiosk.VideoIn.Packets.Count;
            await visitor.VideoIn.WaitForRtpAsync(videoBefore + 30, TimeSpan.FromSeconds(10), "kiosk video after the disk filled");
            await kiosk.VideoIn.WaitForRtpAsync(kioskBefore + 30, TimeSpan.FromSeconds(10), "visitor video after the disk filled");
            output.WriteLine($"relayed after the failure: {visitor.VideoIn.Packets.Count - videoBefore} + {kiosk.VideoIn.Packets.Count - kioskBefore} video packets in {Stopwatch.GetElapsedTime(failedAt).TotalMilliseconds:0} ms");
            Assert.Equal("live", (await visit.GetAsync()).State);

            var investigator = await server.MintTokenAsync("investigator", "inv-1");
            var recording = await server.Api.GetJsonAsync(investigator, $"api/recordings/{visit.Id}");
            output.WriteLine(recording.ToString());
            Assert.Equal("failed", recording.GetProperty("recording").GetProperty("state").GetString());
            Assert.Contains("space", recording.GetProperty("recording").GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
            var audit = await server.Api.GetAuditAsync(await server.MintTokenAsync("admin", "admin-1"));
            Assert.Contains(audit, e => e.Action == "recording.failed" && e.Target == "recording/" + visit.Id);
            Assert.Contains("Recording of visit " + visit.Id + " failed", server.Process.Describe(maxLines: 2000), StringComparison.Ordinal);
            var alerted = await server.Api.GetMetricsAsync();
            Assert.Equal(1, alerted.Counter("mediaserver_recording_unrecorded_visits"));
            Assert.Equal(0, alerted.Counter("mediaserver_recording_refused_joins_total"));

            await server.Api.TerminateAsync(visit.OfficerToken, visit.Id, "disk full test");
            using var http = new HttpClient { BaseAddress = server.BaseAddress };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("healthz", UriKind.Relative))).StatusCode);
            Assert.False(server.Process.HasExited, "the server died");
        }
        finally
        {
            await disk.DisposeAsync();
        }
    }

    [Fact]
    public async Task Retention_purges_old_recordings_unless_held_and_audits_each_purge()
    {
        await using var server = await ServerProcess.StartAsync(output, null, new Dictionary<string, string>
        {
            ["MediaServer__Recording__Retention"] = "00:00:15",
            ["MediaServer__Recording__RetentionCheckInterval"] = "00:00:01",
        });
        var investigator = await server.MintTokenAsync("investigator", "inv-1");
        var ids = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: DateTimeOffset.UtcNow);
            await using var kiosk = new RtpParty("kiosk", 1);
            await using var visitor = new RtpParty("visitor1", 2);
            await visit.JoinAndRelayAsync(kiosk, visitor);
            await server.Api.TerminateAsync(visit.OfficerToken, visit.Id, "retention test");
            await WaitForRecordingAsync(server, investigator, visit.Id, "render_failed", "rendered");
            ids.Add(visit.Id);
        }
        var held = await server.Api.SendAsync(HttpMethod.Post, $"api/recordings/{ids[1]}/hold", investigator);
        Assert.Equal(HttpStatusCode.OK, held.Status);

        await Poll.UntilAsync(() => server.Api.SendAsync(HttpMethod.Get, $"api/recordings/{ids[0]}", investigator),
            r => r.Status == HttpStatusCode.NotFound, TimeSpan.FromSeconds(60), "the unheld recording to be purged", TimeSpan.FromMilliseconds(500));
        Assert.False(Directory.Exists(Path.Combine(server.DataDirectory, "recordings", ids[0])), "the purged recording's files remain");
        // The held one outlives the retention period and the purge that took its sibling.
        var kept = await server.Api.GetJsonAsync(investigator, $"api/recordings/{ids[1]}");
        Assert.True(kept.GetProperty("recording").GetProperty("hold").GetBoolean());
        Assert.True(File.Exists(Path.Combine(server.DataDirectory, "recordings", ids[1], VisitRecorder.JournalFileName)));

        var audit = await server.Api.GetAuditAsync(await server.MintTokenAsync("admin", "admin-1"));
        Assert.Contains(audit, e => e.Action == "recording.purge" && e.Target == "recording/" + ids[0]);
        Assert.DoesNotContain(audit, e => e.Action == "recording.purge" && e.Target == "recording/" + ids[1]);
        Assert.Contains(audit, e => e.Action == "recording.hold" && e.Actor == "inv-1" && e.Target == "recording/" + ids[1]);
    }

    [Fact]
    public async Task A_failing_ffmpeg_is_retried_then_reported_and_the_journal_still_verifies()
    {
        var tools = Path.Combine(Path.GetTempPath(), "mediaserver-it-ffmpeg", Guid.NewGuid().ToString("n")[..12]);
        Directory.CreateDirectory(tools);
        var fake = Path.Combine(tools, "ffmpeg");
        // Answers the version probe like FFmpeg, then dies on the render itself: an encoder crash, as far as the server can tell.
        await File.WriteAllTextAsync(fake,
            "#!/bin/sh\nif [ \"$1\" = \"-version\" ]; then echo 'ffmpeg version 5.1'; exit 0; fi\necho 'simulated encoder failure' >&2\nexit 1\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        try
        {
            await using var server = await ServerProcess.StartAsync(output, null, new Dictionary<string, string>
            {
                ["MediaServer__Recording__FfmpegPath"] = fake,
                ["MediaServer__Recording__RenderAttempts"] = "3",
                ["MediaServer__Recording__RenderRetryDelay"] = "00:00:01",
            });
            var visit = await VisitScenario.CreateAsync(server, visitors: 1, start: DateTimeOffset.UtcNow);
            await using (var kiosk = new RtpParty("kiosk", 1))
            await using (var visitor = new RtpParty("visitor1", 2))
            {
                await visit.JoinAndRelayAsync(kiosk, visitor);
                await server.Api.TerminateAsync(visit.OfficerToken, visit.Id, "render failure test");
            }
            var investigator = await server.MintTokenAsync("investigator", "inv-1");
            var recording = await WaitForRecordingAsync(server, investigator, visit.Id, "render_failed", "rendered");
            output.WriteLine(recording.ToString());
            var summary = recording.GetProperty("recording");
            Assert.Equal("render_failed", summary.GetProperty("state").GetString());
            Assert.Contains("attempt 3 of 3", summary.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Contains("simulated encoder failure", summary.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Equal(JsonValueKind.Null, recording.GetProperty("manifest").GetProperty("reviewCopy").ValueKind);

            var metrics = await server.Api.GetMetricsAsync();
            Assert.Equal(3, metrics.Counter("mediaserver_recording_render_failures_total"));
            var audit = await server.Api.GetAuditAsync(await server.MintTokenAsync("admin", "admin-1"));
            Assert.Contains(audit, e => e.Action == "recording.render_failed" && e.Target == "recording/" + visit.Id);
            // Nothing of the evidence is lost: the journal and the signed manifest verify without a review copy.
            var verify = await server.Api.GetJsonAsync(investigator, $"api/recordings/{visit.Id}/verify");
            Assert.True(verify.GetProperty("ok").GetBoolean(), "verify: " + verify);
        }
        finally
        {
            TryDelete(tools);
        }
    }

    private static async Task<JsonElement> WaitForRecordingAsync(ServerProcess server, string token, string visitId, params string[] states) =>
        await Poll.UntilAsync(
            async () => await server.Api.GetJsonAsync(token, $"api/recordings/{visitId}", allowMissing: true),
            r => r.ValueKind == JsonValueKind.Object && states.Contains(r.GetProperty("recording").GetProperty("state").GetString()),
            Settle, $"recording {visitId} to be {string.Join(" or ", states)}", TimeSpan.FromMilliseconds(250));


    private sealed record Span(int Count, DateTimeOffset First, DateTimeOffset Last);

    private static Dictionary<string, Span> RtpSpanByParticipant(string journal)
    {
        var participantOfTrack = new Dictionary<uint, string>();
        var spans = new Dictionary<string, Span>();
        var scan = JournalScanner.Scan(journal, (in JournalRecord record, long offset) =>
        {
            if (record.Type == JournalRecordType.Track && record.TryGetTrack(out var id, out _))
            {
                using var json = JsonDocument.Parse(record.JsonBody.ToArray());
                participantOfTrack[id] = json.RootElement.GetProperty("participant").GetString()!;
            }
            else if (record.Type == JournalRecordType.Rtp && record.TryGetTrack(out var track, out _)
                && participantOfTrack.TryGetValue(track, out var participant))
            {
                var at = DateTimeOffset.UnixEpoch.AddTicks(record.WallClockMicroseconds * 10);
                spans[participant] = spans.TryGetValue(participant, out var s) ? s with { Count = s.Count + 1, Last = at } : new Span(1, at, at);
            }
        });
        Assert.True(scan.Intact && scan.HasEnd, $"the journal is not intact and sealed: {scan}");
        return spans;
    }

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
