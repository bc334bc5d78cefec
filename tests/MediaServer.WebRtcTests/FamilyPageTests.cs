using System.Globalization;
using MediaServer.Testing;
using MediaServer.Testing.WebRtc;
using MediaServer.WebRtcTests.Harness;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace MediaServer.WebRtcTests;

/// <summary>
/// The visit page as a family and a kiosk meet it, over HTTPS (a certificate openssl makes for the test): the other party's
/// name on each tile, the time the visit ends and what is left, the five-minute warning, and "Muted" and "Camera is off" on
/// the other side; screenshots at phone (390×844) and desktop size are kept with the test output. Over plain http:// at a
/// name that is not this machine, the page says the browser will not give it the camera and microphone.
/// </summary>
public sealed class FamilyPageTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Connect = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RosterSeen = TimeSpan.FromSeconds(15); // the page asks for the roster every 3 s

    private readonly string _certificates = Directory.CreateTempSubdirectory("mediaserver-tls-").FullName;

    [Fact]
    public async Task Over_https_each_tile_names_the_other_the_clock_warns_five_minutes_before_the_end_and_mute_and_camera_off_show_on_the_other_side()
    {
        var certificate = Path.Combine(_certificates, "fullchain.pem");
        var key = Path.Combine(_certificates, "privkey.pem");
        await TestCertificates.MakePemAsync(certificate, key, "localhost");
        var httpsPort = PortAllocator.FreeTcpPort();
        await using var scenario = await Scenario.StartAsync(output, new Dictionary<string, string>
        {
            ["MediaServer__Https__CertificatePath"] = certificate,
            ["MediaServer__Https__KeyPath"] = key,
        }, extraUrls: $"https://127.0.0.1:{httpsPort}");
        var https = new Uri($"https://127.0.0.1:{httpsPort}/");
        // A visit that ends soon: four and a half minutes are left, so the five-minute warning is due at once.
        var visit = await scenario.Api.CreateVisitAsync(visitors: 1, end: DateTimeOffset.UtcNow.AddMinutes(4.5));
        var kiosk = await scenario.OpenVisitAsync(visit.KioskToken, "kiosk-desktop", at: https, viewport: new ViewportSize { Width = 1280, Height = 800 });
        var visitor = await scenario.OpenVisitAsync(visit.VisitorTokens[0], "visitor-phone", at: https, viewport: new ViewportSize { Width = 390, Height = 844 });
        await kiosk.WaitForStateAsync("connected", Connect);
        await visitor.WaitForStateAsync("connected", Connect);
        await kiosk.WaitForFramesAsync(10, Connect);
        await visitor.WaitForFramesAsync(10, Connect);
        foreach (var page in new[] { kiosk, visitor })
        {
            Assert.True(await page.Page.EvaluateAsync<bool>("() => window.isSecureContext"), $"{page.Name} is not a secure context");
            Assert.False(await page.Page.IsVisibleAsync("#insecure"), $"{page.Name} warns of an insecure page over https");
        }

        // Names: the family sees the inmate's, the kiosk the visitor's (as scheduled: "Inmate One", "Visitor 1").
        await Poll.UntilAsync(() => TileCaptionAsync(visitor), c => c == "Inmate One", RosterSeen, "the visitor's tile to name the inmate");
        await Poll.UntilAsync(() => TileCaptionAsync(kiosk), c => c == "Visitor 1", RosterSeen, "the kiosk's tile to name the visitor");

        // The clock: when it ends, in the page's own local time, and what is left; the warning, once.
        var ends = await visitor.Page.EvaluateAsync<string>(
            "() => new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' }).format(new Date(window.visitRoster.end))");
        foreach (var page in new[] { kiosk, visitor })
        {
            var clock = await page.Page.InnerTextAsync("#clock");
            output.WriteLine($"{page.Name} clock: {clock}");
            Assert.Matches($"^Ends at {System.Text.RegularExpressions.Regex.Escape(ends)} · [45] min left$", clock);
            Assert.Equal("Five minutes left in this visit.", await page.Page.InnerTextAsync("#time-warning"));
            Assert.True(await page.Page.IsVisibleAsync("#time-warning"), $"{page.Name}: the warning is not shown");
        }

        // The visitor mutes and turns the camera off: the kiosk's tile says so; back on, it no longer does.
        await visitor.Page.ClickAsync("#mute");
        await visitor.Page.ClickAsync("#camera");
        await Poll.UntilAsync(() => IndicatorsAsync(kiosk), i => i == (true, true), RosterSeen, "the kiosk's tile to say Muted and Camera is off");
        Directory.CreateDirectory(scenario.Artifacts);
        await visitor.ScreenshotAsync(scenario.Artifacts);
        await kiosk.ScreenshotAsync(scenario.Artifacts);
        Assert.Equal((false, false), await IndicatorsAsync(visitor)); // the kiosk's own devices are on
        await visitor.Page.ClickAsync("#mute");
        await visitor.Page.ClickAsync("#camera");
        await Poll.UntilAsync(() => IndicatorsAsync(kiosk), i => i == (false, false), RosterSeen, "the kiosk's tile to drop Muted and Camera is off");
        ChromiumInteropTests.AssertNoScriptErrors(kiosk);
        ChromiumInteropTests.AssertNoScriptErrors(visitor);
    }

    /// <summary>
    /// The family's check before joining, at phone size: their own picture, the microphone's level moving (Chromium's fake
    /// microphone beeps), the cameras and microphones to choose from, a test sound; "Join visit" then joins with that stream
    /// and the kiosk, which joined at once without a check, sees them.
    /// </summary>
    [Fact]
    public async Task A_family_checks_camera_microphone_and_speaker_before_joining_and_the_kiosk_joins_at_once()
    {
        await using var scenario = await Scenario.StartAsync(output);
        var visit = await scenario.Api.CreateVisitAsync(visitors: 1);
        var kiosk = await scenario.OpenVisitAsync(visit.KioskToken, "kiosk");
        await kiosk.WaitForStateAsync("connected", Connect); // no check for the kiosk
        var chromium = await scenario.ChromiumAsync();
        var visitor = await chromium.OpenAsync(new Uri(scenario.Server.BaseAddress, "/visit?token=" + Uri.EscapeDataString(visit.VisitorTokens[0])),
            "visitor-check", viewport: new ViewportSize { Width = 390, Height = 844 }, pastCheck: false);

        await visitor.WaitForStateAsync("check", Connect);
        await Poll.UntilAsync(() => visitor.Page.EvaluateAsync<int>("() => document.getElementById('check-preview').videoWidth"), w => w > 0,
            Connect, "the check to show the family's own picture");
        var level = await Poll.UntilAsync(() => visitor.Page.EvaluateAsync<double>("() => window.visitCheck.level"), l => l > 0.01,
            TimeSpan.FromSeconds(10), "the microphone level to move", TimeSpan.FromMilliseconds(100));
        output.WriteLine($"microphone level seen: {level:0.000}");
        Assert.True(await visitor.Page.EvaluateAsync<int>("() => document.getElementById('check-camera').options.length") >= 1);
        Assert.True(await visitor.Page.EvaluateAsync<int>("() => document.getElementById('check-microphone').options.length") >= 1);
        await visitor.Page.ClickAsync("#check-speaker");
        Assert.True(await visitor.Page.EvaluateAsync<bool>("() => window.visitCheck.tonePlayed"));
        // Nothing has been sent to the visit during the check: the visitor has not joined.
        Assert.Contains("\"id\":\"v1\",\"role\":\"visitor\",\"name\":\"Visitor 1\",\"connection\":{\"state\":\"waiting\"",
            await scenario.Api.DescribeAsync(visit.Id), StringComparison.Ordinal);
        Directory.CreateDirectory(scenario.Artifacts);
        await visitor.ScreenshotAsync(scenario.Artifacts);

        await visitor.Page.ClickAsync("#check-join");
        await visitor.WaitForStateAsync("connected", Connect);
        await visitor.WaitForFramesAsync(10, Connect);
        await kiosk.WaitForFramesAsync(10, Connect);
        Assert.False(await visitor.Page.IsVisibleAsync("#check"), "the check is still shown during the visit");
        // The stream chosen in the check is the one sent: the browser asked for the camera once.
        Assert.True(await visitor.Page.EvaluateAsync<bool>("() => document.getElementById('self-view').srcObject === document.getElementById('check-preview').srcObject"));
        ChromiumInteropTests.AssertNoScriptErrors(visitor);
        ChromiumInteropTests.AssertNoScriptErrors(kiosk);
    }

    /// <summary>
    /// During the visit the family changes microphone (Chromium's fake devices: several microphones, one camera) and picks the
    /// camera again: each time the new track is the one sent (the connection's sender carries it, no new offer), a muted
    /// microphone stays muted, the old track is stopped, and the kiosk goes on hearing and seeing the visitor. The kiosk page
    /// offers no such choice.
    /// </summary>
    [Fact]
    public async Task A_family_changes_microphone_and_camera_during_the_visit_and_the_kiosk_goes_on_hearing_and_seeing_them()
    {
        await using var scenario = await Scenario.StartAsync(output);
        var (_, kiosk, visitor) = await scenario.OpenConnectedPairAsync(frames: 10);
        Assert.False(await kiosk.Page.IsVisibleAsync("#devices"), "the kiosk page offers a choice of devices");
        await visitor.Page.ClickAsync("#devices");
        await Poll.UntilAsync(() => visitor.Page.EvaluateAsync<int>("() => document.getElementById('call-microphone').options.length"), n => n >= 1,
            Connect, "the microphones to be listed");
        var microphones = await visitor.Page.EvaluateAsync<string[]>("() => [...document.getElementById('call-microphone').options].map(o => o.value)");
        output.WriteLine($"microphones: {microphones.Length}");

        // Muted, then another microphone (or the same one again when there is only one): a new track, still muted.
        await visitor.Page.ClickAsync("#mute");
        const string SentAudio = "() => window.visitPc.getTransceivers().find(t => t.direction === 'sendrecv' && t.receiver.track.kind === 'audio').sender.track";
        var before = await visitor.Page.EvaluateAsync<string>($"() => ({SentAudio})().id");
        var choice = microphones.Length > 1 ? microphones[1] : microphones[0];
        await visitor.Page.SelectOptionAsync("#call-microphone", choice);
        await Poll.UntilAsync(() => visitor.Page.EvaluateAsync<int>("() => window.visitDevices.switches"), n => n == 1, Connect, "the microphone to be changed");
        Assert.NotEqual(before, await visitor.Page.EvaluateAsync<string>($"() => ({SentAudio})().id"));
        Assert.False(await visitor.Page.EvaluateAsync<bool>($"() => ({SentAudio})().enabled"), "the new microphone is not muted");
        Assert.Equal("Unmute microphone", await visitor.Page.InnerTextAsync("#mute"));
        Assert.True(await visitor.Page.EvaluateAsync<bool>(
            $"() => window.visitPc.getSenders().every(s => !s.track || s.track.readyState === 'live') && document.getElementById('self-view').srcObject.getAudioTracks().length === 1"));
        await visitor.Page.ClickAsync("#mute");
        Assert.True(await visitor.Page.EvaluateAsync<bool>($"() => ({SentAudio})().enabled"));
        var heard = (await kiosk.StatsAsync())!.AudioPackets;
        await kiosk.WaitForAudioPacketsAsync(heard + 50, Connect);

        // The camera picked again: a new video track is sent and the kiosk decodes it.
        const string SentVideo = "() => window.visitPc.getTransceivers().find(t => t.direction === 'sendrecv' && t.receiver.track.kind === 'video').sender.track";
        var videoBefore = await visitor.Page.EvaluateAsync<string>($"() => ({SentVideo})().id");
        var camera = await visitor.Page.EvaluateAsync<string>("() => document.getElementById('call-camera').options[0].value");
        await visitor.Page.EvaluateAsync("value => { const s = document.getElementById('call-camera'); s.value = value; s.dispatchEvent(new Event('change')); }", camera);
        await Poll.UntilAsync(() => visitor.Page.EvaluateAsync<int>("() => window.visitDevices.switches"), n => n == 2, Connect, "the camera to be changed");
        Assert.NotEqual(videoBefore, await visitor.Page.EvaluateAsync<string>($"() => ({SentVideo})().id"));
        var seen = (await kiosk.StatsAsync())!.FramesDecoded;
        await kiosk.WaitForFramesAsync(seen + 30, Connect);
        Assert.Equal("connected", await visitor.StateAsync());
        ChromiumInteropTests.AssertNoScriptErrors(visitor);
        ChromiumInteropTests.AssertNoScriptErrors(kiosk);
    }

    [Fact]
    public async Task Over_plain_http_at_a_name_that_is_not_this_machine_the_page_says_the_camera_cannot_be_used()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1);
        // A name the browser resolves to this server but cannot know is this machine: an insecure origin, as a LAN address is.
        await using var chromium = await ChromiumBrowser.LaunchAsync(output, "--host-resolver-rules=MAP visits.facility.test 127.0.0.1");
        var url = new Uri($"http://visits.facility.test:{server.HttpPort}/visit?token={Uri.EscapeDataString(visit.VisitorToken(1))}");
        var page = await chromium.OpenAsync(url, "insecure");

        Assert.False(await page.Page.EvaluateAsync<bool>("() => window.isSecureContext"));
        await page.Page.WaitForSelectorAsync("#insecure", new PageWaitForSelectorOptions { State = WaitForSelectorState.Visible, Timeout = 10_000 });
        var warning = await page.Page.InnerTextAsync("#insecure");
        output.WriteLine(warning);
        Assert.Contains("https://", warning, StringComparison.Ordinal);
        Assert.Contains("camera or microphone", warning, StringComparison.Ordinal);
    }

    /// <summary>The caption of the page's first shown tile of another party.</summary>
    private static Task<string> TileCaptionAsync(VisitPage page) =>
        page.Page.EvaluateAsync<string>("() => document.querySelector('#tiles .tile:not([hidden]) figcaption')?.textContent ?? ''");

    /// <summary>Whether the page's first shown tile says "Muted" and "Camera is off".</summary>
    private static async Task<(bool Muted, bool CameraOff)> IndicatorsAsync(VisitPage page)
    {
        var shown = await page.Page.EvaluateAsync<bool[]>(
            "() => { const t = document.querySelector('#tiles .tile:not([hidden])'); return t ? [!t.querySelector('.muted-badge').hidden, !t.querySelector('.no-video').hidden] : [false, false]; }");
        return (shown[0], shown[1]);
    }

    public void Dispose() => Directory.Delete(_certificates, recursive: true);
}
