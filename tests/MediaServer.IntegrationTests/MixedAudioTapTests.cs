using System.Globalization;
using System.Net;
using MediaServer.IntegrationTests.Harness.Ffmpeg;
using MediaServer.Testing;
using MediaServer.Testing.Ffmpeg;
using MediaServer.Testing.Sdp;
using Xunit.Abstractions;

namespace MediaServer.IntegrationTests;

/// <summary>
/// Issue 5, mixed-audio taps: a plain-RTP tap with <c>?audio=mixed</c> offers one audio m-line and gets one Opus stream in
/// which both parties' tones (the kiosk's 440 Hz, the visitor's 880 Hz) are heard, recorded by FFmpeg from the wire.
/// </summary>
[Collection(FfmpegMediaCollection.Name)]
public sealed class MixedAudioTapTests(ITestOutputHelper output)
{
    private static readonly TimeSpan SendFor = TimeSpan.FromSeconds(6);
    private static readonly TimeSpan SenderDeadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_mixed_audio_tap_receives_one_opus_stream_with_both_parties_tones()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1);
        await using var kiosk = new FfmpegPeer("kiosk", PartyMedia.Kiosk, VideoCodec.Vp8, partyNumber: 1, otherParties: 1, server.WorkDirectory, output);
        await using var visitor = new FfmpegPeer("visitor1", PartyMedia.Visitor1, VideoCodec.Vp8, partyNumber: 2, otherParties: 1, server.WorkDirectory, output);
        var kioskLeg = await server.Api.JoinAsync(visit.KioskToken, visit.Id, kiosk.OfferSdp);
        var visitorLeg = await server.Api.JoinAsync(visit.VisitorToken(1), visit.Id, visitor.OfferSdp);

        // The tap: a video slot per party and ONE audio slot, which the mix fills. FFmpeg listens on the audio slot first.
        var offer = new PlainRtpOffer()
            .AddVideo(PortAllocator.FreeClientRtpPair(), MediaDirection.RecvOnly, VideoCodec.Vp8)
            .AddVideo(PortAllocator.FreeClientRtpPair(), MediaDirection.RecvOnly, VideoCodec.Vp8)
            .AddAudio(PortAllocator.FreeClientRtpPair(), MediaDirection.RecvOnly);
        await using var mixReceiver = await FfmpegSlotReceiver.StartAsync("mixed-tap", offer, slot: 2, server.WorkDirectory);
        var tap = await server.Api.TapRawAsync(visit.OfficerToken, visit.Id, offer.Build(), "?audio=mixed");
        Assert.True(tap.Status == HttpStatusCode.Created, $"mixed tap: {tap}");
        Assert.Equal(3, tap.Body.Split('\n').Count(l => l.TrimEnd('\r') == "a=sendonly"));

        await kiosk.StartReceiversAsync();
        await visitor.StartReceiversAsync();
        kiosk.StartSending(kioskLeg.AnswerSdp, SendFor);
        visitor.StartSending(visitorLeg.AnswerSdp, SendFor);
        await Task.WhenAll(kiosk.WaitUntilSentAsync(SenderDeadline), visitor.WaitUntilSentAsync(SenderDeadline));

        var recording = await mixReceiver.FinishAsync(TimeSpan.FromSeconds(20));
        output.WriteLine($"mixed slot: {recording}");
        Assert.True(recording.GotMedia && recording.Path is not null, $"the mixed slot recorded nothing:\n{recording.Diagnostics}");
        Assert.Equal("opus", recording.Stream!.CodecName);

        var samples = await DecodeAsync(recording.Path!);
        Assert.True(samples.Length > 48000 * 3, $"only {samples.Length / 48000.0:0.0} s of mixed audio");
        // The middle of the recording, where both parties were sending.
        var middle = samples.AsSpan(samples.Length / 4, samples.Length / 2);
        var kioskTone = Amplitude(middle, PartyMedia.Kiosk.ToneHz);
        output.WriteLine($"kiosk tone per 100 ms block, sorted: {LastBlocks}");
        var visitorTone = Amplitude(middle, PartyMedia.Visitor1.ToneHz);
        output.WriteLine($"visitor tone per 100 ms block, sorted: {LastBlocks}");
        var nobody = Amplitude(middle, 1320);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mixed audio {samples.Length / 48000.0:0.0} s: amplitude {kioskTone:0} at {PartyMedia.Kiosk.ToneHz} Hz (kiosk), "
            + $"{visitorTone:0} at {PartyMedia.Visitor1.ToneHz} Hz (visitor), {nobody:0} at 1320 Hz (nobody)"));
        // FFmpeg's sine source has amplitude 1/8 of full scale (4096); each must be there, near its own level (blocks where a
        // starved sender's packet was concealed come out weaker, hence the low bound; a missing party measures under 50).
        Assert.InRange(kioskTone, 1200, 6000);
        Assert.InRange(visitorTone, 1200, 6000);
        Assert.True(nobody < Math.Min(kioskTone, visitorTone) / 10, $"a tone nobody sent: {nobody:0}");

        var audit = await server.Api.GetAuditAsync(await server.MintTokenAsync("admin", "ops"));
        Assert.Contains(audit, e => e.Action == "visit.tap" && e.Outcome == "ok: rtp, mixed audio");
        Assert.Equal(HttpStatusCode.NoContent, (await server.Api.SendAsync(HttpMethod.Delete, tap.Location!.ToString().TrimStart('/'), visit.OfficerToken)).Status);
    }

    [Fact]
    public async Task A_mixed_audio_tap_without_an_audio_line_is_refused_and_leaves_nothing_open()
    {
        await using var server = await ServerProcess.StartAsync(output);
        var visit = await VisitScenario.CreateAsync(server, visitors: 1);
        var offer = new PlainRtpOffer().AddVideo(PortAllocator.FreeClientRtpPair(), MediaDirection.RecvOnly, VideoCodec.Vp8);
        var refused = await server.Api.TapRawAsync(visit.OfficerToken, visit.Id, offer.Build(), "?audio=mixed");
        Assert.True(refused.Status == (HttpStatusCode)422, $"expected 422: {refused}");
        Assert.Contains("audio", refused.Body, StringComparison.Ordinal);
        var metrics = await server.Api.GetMetricsAsync();
        Assert.True(metrics.Value("mediaserver_taps") == 0, metrics.Text);
        Assert.True(metrics.Value("mediaserver_rtp_port_pairs_in_use") == 0, $"the refused tap kept its ports:\n{metrics.Text}");
    }

    private static async Task<short[]> DecodeAsync(string path)
    {
        var result = await ProcessRunner.RunAsync("ffmpeg",
            ["-hide_banner", "-v", "error", "-nostdin", "-i", path, "-ac", "1", "-ar", "48000", "-f", "s16le", "pipe:1"],
            TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, $"decoding the mixed audio failed:\n{result}");
        var samples = new short[result.Stdout.Length / 2];
        Buffer.BlockCopy(result.Stdout, 0, samples, 0, samples.Length * 2);
        return samples;
    }

    /// <summary>
    /// Amplitude of one frequency: the median over 100 ms blocks of one DFT bin (Goertzel), scaled so a sine of amplitude A
    /// gives A. Blocks, so that a phase jump where a packet was concealed cannot cancel the tone out of a long sum.
    /// </summary>
    [ThreadStatic]
    private static string? LastBlocks;

    private static double Amplitude(ReadOnlySpan<short> signal, double frequency)
    {
        const int Block = 4800;
        var amplitudes = new List<double>();
        for (var start = 0; start + Block <= signal.Length; start += Block)
        {
            double real = 0, imaginary = 0;
            for (var i = 0; i < Block; i++)
            {
                var angle = 2 * Math.PI * frequency * i / 48000.0;
                real += signal[start + i] * Math.Cos(angle);
                imaginary -= signal[start + i] * Math.Sin(angle);
            }
            amplitudes.Add(2 * Math.Sqrt(real * real + imaginary * imaginary) / Block);
        }
        amplitudes.Sort();
        LastBlocks = string.Join(" ", amplitudes.Select(a => a.ToString("0", CultureInfo.InvariantCulture)));
        return amplitudes.Count == 0 ? 0 : amplitudes[amplitudes.Count / 2];
    }
}
