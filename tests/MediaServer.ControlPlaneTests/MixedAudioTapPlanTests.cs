using System.Net;
using MediaServer.Testing;
using MediaServer.Testing.InProcess;
using MediaServer.Testing.Sdp;
using MediaServer.Visits;
using Microsoft.Extensions.DependencyInjection;

namespace MediaServer.ControlPlaneTests;

/// <summary>
/// A mixed-audio tap (<c>?audio=mixed</c>) is planned before it is built: a refused one leaves nothing behind (no tap, no
/// ports, no officer allowance), and an accepted one is a mixed tap from its construction.
/// </summary>
public sealed class MixedAudioTapPlanTests : IAsyncLifetime
{
    private InProcessServer _server = null!;

    public async Task InitializeAsync() => _server = await InProcessServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Refused_mixed_taps_release_their_ports_and_allowance_and_an_accepted_one_is_mixed_from_the_start()
    {
        var officer = _server.MintToken("officer", "officer-3");
        var now = DateTimeOffset.UtcNow;
        var visit = await _server.Api.CreateVisitAsync(officer, CreateVisitRequest.For(1, now, now.AddMinutes(30)));

        // Each refused offer binds a port pair for its video m-line before the mix is planned: more refusals than the range
        // has pairs, and more than the officer's tap allowance, so a leak of either would refuse the last tap.
        var refusals = (InProcessServer.RtpPortCount / 2) + 2;
        for (var i = 0; i < refusals; i++)
        {
            var videoOnly = new PlainRtpOffer().AddVideo(PortAllocator.FreeClientRtpPair(), MediaDirection.RecvOnly, VideoCodec.Vp8).Build();
            var refused = await _server.Api.TapRawAsync(officer, visit.Id, videoOnly, "?audio=mixed");
            Assert.True(refused.Status == HttpStatusCode.UnprocessableEntity, $"refusal {i}: expected 422, got {refused}");
            Assert.Equal("/problems/" + ProblemTypes.NoUsableMedia, refused.Problem?.Type);
        }
        var registry = _server.Services.GetRequiredService<VisitRegistry>();
        Assert.Empty(registry.Get(visit.Id)!.OpenTaps());

        var offer = new PlainRtpOffer()
            .AddVideo(PortAllocator.FreeClientRtpPair(), MediaDirection.RecvOnly, VideoCodec.Vp8)
            .AddAudio(PortAllocator.FreeClientRtpPair(), MediaDirection.RecvOnly)
            .Build();
        var opened = await _server.Api.TapRawAsync(officer, visit.Id, offer, "?audio=mixed");

        Assert.True(opened.Status == HttpStatusCode.Created, $"the mixed tap after the refusals was refused: {opened}");
        var tap = Assert.Single(registry.Get(visit.Id)!.OpenTaps());
        Assert.True(tap.MixedAudio);
        // The router fills the planned mix's party: its audio slots are the hidden feeders, one per participant.
        Assert.Equal(visit.Participants.Count, tap.Party.AudioSlots.Count);
        Assert.All(tap.Party.AudioSlots, slot => Assert.True(slot.Hidden));
        var audit = await _server.Api.GetAuditAsync(_server.MintToken("admin", "ops"));
        Assert.Contains(audit, e => e.Action == "visit.tap" && e.Actor == "officer-3" && e.Outcome == "ok: rtp, mixed audio");
    }
}
