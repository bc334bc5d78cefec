using MediaServer.Metrics;
using MediaServer.Transport.WebRtc;
using MediaServer.Visits;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace MediaServer.Tests.WebRtc;

/// <summary>
/// H.264 in a visit is one codec per profile (RFC 6184 §8.2.2): every party answers H.264 in one profile, the one the others
/// already use, and a party that lacks it does not share H.264. Answers carry the matched format's own fmtp. Extmaps the relay
/// does not rewrite are not answered.
/// </summary>
public sealed class H264NegotiationTests : IAsyncLifetime
{
    // Started on any free port: an answer's m-lines carry the shared port, and port 0 would mean "rejected".
    private readonly WebRtcPort _port = new(Options.Create(new WebRtcOptions { Port = 0 }),
        new RelayMetrics(), NullLogger<WebRtcPort>.Instance);
    private readonly WebRtcJoin _join;
    private readonly Visit _visit;
    private readonly List<Leg> _legs = [];

    public H264NegotiationTests()
    {
        _join = new WebRtcJoin(_port, new DtlsSrtpServer(DtlsCertificate.CreateEphemeral()), new RelayMetrics(), NullLogger<WebRtcJoin>.Instance);
        var now = DateTimeOffset.UtcNow;
        _visit = new Visit("v-h264", new Person("i1", "Kiosk"), [new Person("v1", "One"), new Person("v2", "Two")], now.AddMinutes(-1),
            now.AddHours(1), privileged: false, flagged: false, now);
    }

    public Task InitializeAsync() => _port.StartAsync(CancellationToken.None);

    public async Task DisposeAsync()
    {
        foreach (var leg in _legs)
        {
            leg.Dispose();
        }
        await _port.StopAsync(CancellationToken.None);
        _port.Dispose();
    }

    /// <summary>Plans a join as the lifecycle does and, on success, adds the party to the visit.</summary>
    private (Leg? Leg, string? Answer, JoinRefusal? Refusal) Join(string participantId, string sdp)
    {
        Assert.True(SdpOffers.TryRead(sdp, out var offer, out var error), error);
        var result = _join.Plan(_visit, _visit.FindParticipant(participantId)!, offer, DateTimeOffset.UtcNow);
        if (result.Leg is { } leg)
        {
            _legs.Add(leg);
            _visit.AddLeg(leg);
            _visit.Router.Attach(leg.Party);
        }
        return result;
    }

    private static string H264Only(params (int PayloadType, string ProfileLevelId)[] formats) =>
        BrowserOffers.Offer(string.Join(' ', formats.Select(f => f.PayloadType)),
            string.Concat(formats.Select(f => BrowserOffers.H264(f.PayloadType, f.ProfileLevelId))));

    [Fact]
    public void The_first_party_answers_one_profile_preferring_constrained_baseline()
    {
        var (leg, answer, refusal) = Join("i1", H264Only((102, "42001f"), (106, "42e01f"), (112, "64001f")));

        Assert.Null(refusal);
        Assert.Equal(Codecs.Sdp.H264Profile.ConstrainedBaseline, leg!.H264Profile);
        Assert.Contains("a=rtpmap:106 H264/90000", answer, StringComparison.Ordinal);
        Assert.Contains("a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("a=rtpmap:102 ", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("a=rtpmap:112 ", answer, StringComparison.Ordinal);
    }

    [Fact]
    public void A_later_party_answers_the_visits_profile_with_its_own_matching_format()
    {
        Join("i1", H264Only((96, "64001f")));

        // The visitor prefers Constrained Baseline but also offers High (at another level): High is what the visit uses.
        var (leg, answer, refusal) = Join("v1", H264Only((106, "42e01f"), (112, "640032")));

        Assert.Null(refusal);
        Assert.Equal(Codecs.Sdp.H264Profile.High, leg!.H264Profile);
        Assert.Contains("a=fmtp:112 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640032", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("a=rtpmap:106 ", answer, StringComparison.Ordinal);
    }

    [Fact]
    public void A_party_whose_only_codec_is_another_h264_profile_is_refused_naming_both_profiles()
    {
        Join("i1", H264Only((96, "64001f")));

        var (leg, _, refusal) = Join("v1", H264Only((106, "42e01f")));

        Assert.Null(leg);
        Assert.Equal(422, refusal!.Status);
        Assert.Contains("this visit uses H.264 in High", refusal.Detail, StringComparison.Ordinal);
        Assert.Contains("Constrained Baseline", refusal.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_party_with_another_h264_profile_still_joins_on_a_shared_codec_without_h264()
    {
        Join("i1", BrowserOffers.Offer("96 106", BrowserOffers.Vp8Feedback(96) + BrowserOffers.H264(106, "42e01f")));

        var (leg, answer, refusal) = Join("v1", BrowserOffers.Offer("96 112", BrowserOffers.Vp8Feedback(96) + BrowserOffers.H264(112, "64001f")));

        Assert.Null(refusal);
        Assert.Null(leg!.H264Profile);
        Assert.Contains("a=rtpmap:96 VP8/90000", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("H264", answer, StringComparison.Ordinal);
    }

    [Fact]
    public void An_h264_format_with_a_profile_level_id_no_profile_has_is_not_offered_to_anyone()
    {
        Assert.True(SdpOffers.TryRead(H264Only((100, "ff001f"), (106, "42e01f")), out var offer, out _));
        Assert.Equal([(byte)106], offer.Media[0].Supported.Select(f => f.PayloadType));
    }

    [Fact]
    public void Packetization_mode_0_is_not_taken()
    {
        var sdp = BrowserOffers.Offer("104 106", BrowserOffers.H264(104, "42e01f", packetizationMode: 0) + BrowserOffers.H264(106, "42e01f"));
        Assert.True(SdpOffers.TryRead(sdp, out var offer, out _));
        Assert.Equal([(byte)106], offer.Media[0].Supported.Select(f => f.PayloadType));
    }

    [Fact]
    public void The_answer_names_no_header_extension_because_the_relay_rewrites_none()
    {
        var (_, answer, refusal) = Join("i1", BrowserOffers.Vp8());

        Assert.Null(refusal);
        // Offered: sdes:mid, abs-send-time, transport-wide-cc, ssrc-audio-level, toffset. Forwarded packets keep the sender's
        // extension bytes and ids, so agreeing to any of them would have receivers read another party's values as ours.
        Assert.DoesNotContain("a=extmap", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("transport-cc", answer, StringComparison.Ordinal);
    }
}
