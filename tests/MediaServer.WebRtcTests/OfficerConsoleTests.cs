using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using MediaServer.Testing;
using MediaServer.Testing.Ffmpeg;
using MediaServer.Testing.WebRtc;
using MediaServer.WebRtcTests.Harness;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace MediaServer.WebRtcTests;

/// <summary>
/// Issue 5, "Done when": the officer console works in Chromium. Two visits are live (one flagged at scheduling); the console
/// lists the flagged one first although it went live later; one click taps it and every party's video plays in the page; a
/// flag with a note shows in the page and in the API; terminate (after the confirmation dialog) ends the visit for both
/// parties and the participant's /visit page says the facility ended it.
/// </summary>
public sealed class OfficerConsoleTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Media = TimeSpan.FromSeconds(30);
    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    private const string TilesScript = """
        async () => {
          const tiles = [...document.querySelectorAll('#tap-tiles figure')].map((f) => {
            const v = f.querySelector('video');
            return { participant: f.dataset.participant, caption: f.querySelector('figcaption').textContent,
              width: v.videoWidth, height: v.videoHeight, readyState: v.readyState, paused: v.paused, muted: v.muted };
          });
          const tap = window.officerTap;
          const inbound = [];
          if (tap) (await tap.pc.getStats()).forEach((s) => {
            if (s.type === 'inbound-rtp') inbound.push({ kind: s.kind, mid: s.mid ?? null, packetsReceived: s.packetsReceived ?? 0,
              framesDecoded: s.framesDecoded ?? 0 });
          });
          return JSON.stringify({ open: !!tap, location: tap ? tap.location : null, tiles, inbound });
        }
        """;

    private sealed record Tile(string Participant, string Caption, int Width, int Height, int ReadyState, bool Paused, bool Muted);

    private sealed record Inbound(string Kind, string? Mid, long PacketsReceived, long FramesDecoded);

    private sealed record TapView(bool Open, string? Location, List<Tile> Tiles, List<Inbound> Inbound)
    {
        public long[] Frames => [.. Inbound.Where(s => s.Kind == "video").Select(s => s.FramesDecoded)];

        public bool Playing(int parties, long frames) =>
            Tiles.Count == parties && Tiles.All(t => t.ReadyState >= 2 && t.Width > 0 && !t.Paused)
            && Inbound.Count(s => s.Kind == "video" && s.FramesDecoded >= frames) == parties
            && Inbound.Count(s => s.Kind == "audio" && s.PacketsReceived >= 25) == parties;
    }

    [Fact]
    public async Task The_console_lists_the_flagged_visit_first_taps_it_flags_and_terminates_it_for_both_parties()
    {
        await using var scenario = await Scenario.StartAsync(output);
        var artifacts = scenario.Artifacts;
        var officer = await scenario.Server.MintTokenAsync("officer", "officer-17");

        // Visit A (not flagged) goes live first: an FFmpeg kiosk.
        var plain = await CreateVisitAsync(scenario, "A100", "Andrew Plain", flagged: false);
        var kioskA = scenario.Own(new FfmpegLivePeer(Path.Combine(artifacts, "ffmpeg-kiosk-a")) { VideoSize = "320x240" });
        await kioskA.JoinAsync(scenario.Server.Api, plain.Id, plain.KioskToken);
        kioskA.StartSending(TimeSpan.FromSeconds(180));
        await WaitForStateAsync(scenario, plain.Id, "live");

        // Visit B (flagged when scheduled) goes live second: an FFmpeg kiosk and a Chromium visitor on /visit.
        var flagged = await CreateVisitAsync(scenario, "B200", "Bella Flagged", flagged: true);
        var kioskB = scenario.Own(new FfmpegLivePeer(Path.Combine(artifacts, "ffmpeg-kiosk-b")) { VideoSize = "320x240" });
        await kioskB.JoinAsync(scenario.Server.Api, flagged.Id, flagged.KioskToken);
        kioskB.StartSending(TimeSpan.FromSeconds(180));
        var visitor = await scenario.OpenVisitAsync(flagged.VisitorTokens[0], "visitor-b");
        await visitor.WaitForStateAsync("connected", Media);
        await WaitForStateAsync(scenario, flagged.Id, "live");

        // The console: sign in by pasting the token, as an officer would.
        var console = await (await scenario.ChromiumAsync()).OpenAsync(new Uri(scenario.Server.BaseAddress, "/officer"), "officer-console");
        await console.Page.SetViewportSizeAsync(1100, 1000);
        await console.Page.GetByLabel("Officer token").FillAsync(officer);
        await console.Page.ClickAsync("#sign-in-button");
        var order = await Poll.UntilAsync(() => VisitOrderAsync(console), ids => ids.Length == 2, Media,
            "the console to list both live visits");
        Assert.Equal([flagged.Id, plain.Id], order);
        Assert.Equal("true", await console.Page.GetAttributeAsync($"li[data-visit-id='{flagged.Id}']", "data-flagged"));
        Assert.True(await console.Page.IsVisibleAsync($"li[data-visit-id='{flagged.Id}'] .badge.flagged"));
        Assert.False(await console.Page.IsVisibleAsync($"li[data-visit-id='{plain.Id}'] .badge.flagged"));
        Assert.Contains("Bella Flagged (B200) with Visitor 1", await console.Page.InnerTextAsync($"li[data-visit-id='{flagged.Id}'] .title"),
            StringComparison.Ordinal);
        await Poll.UntilAsync(() => console.Page.InnerTextAsync($"li[data-visit-id='{flagged.Id}'] .parties"),
            text => text.Split('\n').Count(l => l.Contains(": connected", StringComparison.Ordinal)) == 2, Media,
            "both parties of the flagged visit shown as connected");
        await Poll.UntilAsync(() => console.Page.InnerTextAsync($"li[data-visit-id='{flagged.Id}'] .duration"),
            text => text.StartsWith("Live for 0:", StringComparison.Ordinal) && text != "Live for 0:00", Media, "a running duration");

        // One click taps it: both parties' video plays in the page and both parties' audio arrives.
        var tapClicked = DateTimeOffset.UtcNow;
        await console.Page.ClickAsync($"li[data-visit-id='{flagged.Id}'] .tap-button");
        var view = await Poll.UntilAsync(() => TapViewAsync(console), v => v.Playing(parties: 2, frames: 30), Media,
            "the tap's two tiles to play video and receive audio");
        scenario.Log($"tap open {(DateTimeOffset.UtcNow - tapClicked).TotalMilliseconds:0} ms after the click (30 frames per tile): "
            + JsonSerializer.Serialize(view));
        Assert.Matches($"^/api/visits/{flagged.Id}/taps/[0-9a-f]+$", view.Location);
        Assert.Equal([flagged.KioskId, flagged.VisitorIds[0]], view.Tiles.Select(t => t.Participant).ToArray());
        Assert.Equal((320, 240), (view.Tiles[0].Width, view.Tiles[0].Height));
        Assert.All(view.Tiles, t => Assert.False(t.Muted));
        var later = await Poll.UntilAsync(() => TapViewAsync(console),
            v => v.Frames.Length == 2 && v.Frames[0] > view.Frames[0] + 15 && v.Frames[1] > view.Frames[1] + 15, Media,
            "the tap's frame counts to keep rising");
        scenario.Log($"framesDecoded per tile: {string.Join(", ", view.Frames)} → {string.Join(", ", later.Frames)}");
        await Poll.UntilAsync(() => console.Page.InnerTextAsync($"li[data-visit-id='{flagged.Id}'] .taps"),
            text => text == "1 officer watching", Media, "the list to show the tap");
        await console.ScreenshotAsync(artifacts);

        // Flag visit A with a note: it shows in the page and in the API.
        const string note = "Visitor passed a note to the camera at 14:02";
        await console.Page.ClickAsync($"li[data-visit-id='{plain.Id}'] .flag-open");
        await console.Page.FillAsync($"li[data-visit-id='{plain.Id}'] .flag-note", note);
        await console.Page.ClickAsync($"li[data-visit-id='{plain.Id}'] .flag-form button[type=submit]");
        await Poll.UntilAsync(() => console.Page.InnerTextAsync($"li[data-visit-id='{plain.Id}'] .flags"),
            text => text.Contains(note, StringComparison.Ordinal) && text.Contains("by officer-17", StringComparison.Ordinal), Media,
            "the flag in the console");
        Assert.Equal("true", await console.Page.GetAttributeAsync($"li[data-visit-id='{plain.Id}']", "data-flagged"));
        using (var described = JsonDocument.Parse(await DescribeAsync(scenario, plain.Id)))
        {
            var flags = described.RootElement.GetProperty("flags").EnumerateArray().ToList();
            Assert.Single(flags);
            Assert.Equal(note, flags[0].GetProperty("note").GetString());
            Assert.Equal("officer-17", flags[0].GetProperty("by").GetString());
        }

        // Terminate the tapped visit with a reason; the confirmation dialog is accepted.
        const string reason = "Contraband shown on camera";
        string? dialogText = null;
        console.Page.Dialog += async (_, dialog) =>
        {
            dialogText = dialog.Message;
            await dialog.AcceptAsync();
        };
        await console.Page.ClickAsync($"li[data-visit-id='{flagged.Id}'] .end-open");
        await console.Page.FillAsync($"li[data-visit-id='{flagged.Id}'] .end-reason", reason);
        var terminateClicked = DateTimeOffset.UtcNow;
        await console.Page.ClickAsync($"li[data-visit-id='{flagged.Id}'] .end-form button[type=submit]");
        await Poll.UntilAsync(() => StateAsync(scenario, flagged.Id), s => s == "terminated", TimeSpan.FromSeconds(5),
            "the visit to be terminated");
        Assert.NotNull(dialogText);
        Assert.Contains(reason, dialogText, StringComparison.Ordinal);
        Assert.Contains("Bella Flagged", dialogText, StringComparison.Ordinal);

        // Both parties: every leg closed; the visitor's page says the facility ended the visit.
        using (var described = JsonDocument.Parse(await DescribeAsync(scenario, flagged.Id)))
        {
            Assert.Equal(reason, described.RootElement.GetProperty("endReason").GetString());
            Assert.All(described.RootElement.GetProperty("participants").EnumerateArray(),
                p => Assert.Equal("closed", p.GetProperty("connection").GetProperty("state").GetString()));
        }
        await visitor.WaitForStateAsync("ended", Media);
        Assert.Contains("The facility ended this visit", await visitor.EndedTextAsync(), StringComparison.Ordinal);
        scenario.Log($"visitor page ended {(DateTimeOffset.UtcNow - terminateClicked).TotalMilliseconds:0} ms after the click");

        // The console drops the visit, closes its tap and says so; visit A stays.
        await Poll.UntilAsync(() => VisitOrderAsync(console), ids => ids.SequenceEqual([plain.Id]), Media,
            "the console to list only the remaining visit");
        var closed = await TapViewAsync(console);
        Assert.False(closed.Open);
        Assert.Empty(closed.Tiles);
        Assert.Contains("was ended", await console.Page.InnerTextAsync("#status"), StringComparison.Ordinal);
        Assert.False(await console.Page.IsVisibleAsync("#error"));
        await visitor.ScreenshotAsync(artifacts);
        await console.Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(artifacts, "officer-console-after-terminate.png"), FullPage = true });
        Assert.Empty(console.Errors);
    }

    [Fact]
    public async Task The_console_refuses_a_visitor_token_and_shows_why()
    {
        await using var scenario = await Scenario.StartAsync(output);
        // A participant token comes only from the API (the CLI refuses participant roles).
        var kiosk = (await scenario.Api.CreateVisitAsync()).KioskToken;
        var console = await (await scenario.ChromiumAsync()).OpenAsync(new Uri(scenario.Server.BaseAddress, "/officer"), "officer-console-refused");
        await console.Page.GetByLabel("Officer token").FillAsync(kiosk);
        await console.Page.ClickAsync("#sign-in-button");
        Assert.True(await console.Page.IsVisibleAsync("#error"));
        Assert.Contains("needs an officer token", await console.Page.InnerTextAsync("#error"), StringComparison.Ordinal);
        Assert.False(await console.Page.IsVisibleAsync("#console"));
        Assert.Empty(console.Errors);
    }

    private static async Task<string[]> VisitOrderAsync(VisitPage page) =>
        JsonSerializer.Deserialize<string[]>(await page.Page.EvaluateAsync<string>(
            "() => JSON.stringify([...document.querySelectorAll('#visits > li')].map((li) => li.dataset.visitId))"))!;

    private static async Task<TapView> TapViewAsync(VisitPage page) =>
        JsonSerializer.Deserialize<TapView>(await page.Page.EvaluateAsync<string>(TilesScript), Json)!;

    // Its own client with a generous timeout: on a loaded shared machine the first API calls of a fresh server (JIT) can be slow.
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };

    private string? _admin;

    private async Task<string> AdminAsync(Scenario scenario) => _admin ??= await scenario.Server.MintTokenAsync("admin", "ops");

    private async Task<string> DescribeAsync(Scenario scenario, string visitId)
    {
        await AdminAsync(scenario);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(scenario.Server.BaseAddress, $"/api/visits/{visitId}"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _admin);
        using var response = await Http.SendAsync(request);
        return await response.Content.ReadAsStringAsync();
    }

    private async Task<string?> StateAsync(Scenario scenario, string visitId)
    {
        using var document = JsonDocument.Parse(await DescribeAsync(scenario, visitId));
        return document.RootElement.GetProperty("state").GetString();
    }

    private Task<string?> WaitForStateAsync(Scenario scenario, string visitId, string state) =>
        Poll.UntilAsync(() => StateAsync(scenario, visitId), s => s == state, Media, $"visit {visitId} to be {state}");

    /// <summary>A visit open now with one visitor, flagged or not when it is scheduled, and join tokens for both parties.</summary>
    private async Task<TestVisit> CreateVisitAsync(Scenario scenario, string inmateId, string inmateName, bool flagged)
    {
        var admin = await AdminAsync(scenario);
        var now = DateTimeOffset.UtcNow;
        var body = new
        {
            inmate = new { id = inmateId, name = inmateName },
            visitors = new[] { new { id = "v1", name = "Visitor 1" } },
            start = now.AddMinutes(-1),
            end = now.AddHours(1),
            privileged = false,
            flagged,
        };
        var created = await SendAsync(scenario, HttpMethod.Post, "/api/visits", admin, body, HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString()!;
        var kioskToken = (await SendAsync(scenario, HttpMethod.Post, $"/api/visits/{id}/tokens", admin, new { participant = inmateId },
            HttpStatusCode.Created)).GetProperty("token").GetString()!;
        var visitorToken = (await SendAsync(scenario, HttpMethod.Post, $"/api/visits/{id}/tokens", admin, new { participant = "v1" },
            HttpStatusCode.Created)).GetProperty("token").GetString()!;
        return new TestVisit(id, inmateId, ["v1"], kioskToken, [visitorToken]);
    }

    private static async Task<JsonElement> SendAsync(Scenario scenario, HttpMethod method, string path, string token, object body,
        HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await scenario.Server.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != expected)
        {
            throw new InvalidOperationException($"{method} {path} → {(int)response.StatusCode}: {text}");
        }
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
