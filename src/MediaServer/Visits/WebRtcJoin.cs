using MediaServer.Media;
using MediaServer.Metrics;
using MediaServer.Routing;
using MediaServer.Transport.WebRtc;
using Microsoft.Extensions.Logging;

namespace MediaServer.Visits;

/// <summary>
/// Turns a WebRTC offer into a leg: after <see cref="JoinNegotiation"/>, one <see cref="WebRtcSession"/> on the shared port
/// (every m-line is BUNDLEd onto it), a track per publishing m-line — routed by payload type, since audio and video arrive on
/// one transport — and a receiver slot per m-line on which the browser receives, each with an SSRC the answer announces.
/// </summary>
public sealed class WebRtcJoin(WebRtcPort port, DtlsSrtpServer dtls, RelayMetrics metrics, ILogger<WebRtcJoin> logger,
    FeedbackPolicy? feedback = null)
{
    /// <summary>Raised (off the packet path) when a leg's first media packet arrives.</summary>
    public event Action<Visit>? FirstMedia;

    /// <summary>Raised when a leg's transport fails (DTLS refused, consent lost): the party has gone.</summary>
    public event Action<Visit, Leg, string>? TransportFailed;

    public (Leg? Leg, string? Answer, JoinRefusal? Refusal) Plan(Visit visit, Participant participant, MediaOffer offer, DateTimeOffset now)
    {
        if (offer.WebRtc is not { } webRtc)
        {
            return (null, null, new JoinRefusal(ProblemTypes.InvalidOffer, 400, "Bad request", "The offer is not a WebRTC offer."));
        }
        var (join, refusal) = JoinNegotiation.Negotiate(visit, participant, offer);
        if (join is null)
        {
            return (null, null, refusal);
        }
        var (session, party, text, answered) = Build(visit, participant.Id, participant.Role == PartyRole.Kiosk, join, webRtc, hidden: false);
        var leg = new Leg(visit.Id, participant, party, [session], now)
        {
            H264Profile = join.H264Profile,
            WebRtc = new WebRtcLeg(session, offer, answered.Answers, answered.Info),
        };
        session.Failed += (_, reason) => TransportFailed?.Invoke(visit, leg, reason);
        return (leg, text, null);
    }

    /// <summary>Raised when a tap's transport fails (DTLS refused, consent lost): the tap is gone.</summary>
    public event Action<Visit, Tap, string>? TapTransportFailed;

    /// <summary>
    /// A tap (receive-only, hidden from the participants) from a WebRTC offer, e.g. a WHEP player's. Its receivers are asked
    /// for keyframes once DTLS is up, as any leg's are, so the first picture does not wait for a sender's next keyframe.
    /// </summary>
    public (Tap? Tap, string? Answer, JoinRefusal? Refusal) PlanTap(Visit visit, MediaOffer offer, string officerId, string officerRole,
        DateTimeOffset now, ITapAudio? audio = null)
    {
        if (offer.WebRtc is not { } webRtc)
        {
            return (null, null, new JoinRefusal(ProblemTypes.InvalidOffer, 400, "Bad request", "The offer is not a WebRTC offer."));
        }
        var (negotiated, refusal) = TapNegotiation.Negotiate(visit, offer);
        if (negotiated is null)
        {
            return (null, null, refusal);
        }
        var tapId = Tap.NewId();
        var (session, party, text, _) = Build(visit, Tap.RouterId(tapId), isKiosk: false, negotiated, webRtc, hidden: true);
        if (TapNegotiation.PlanAudio(audio, visit, party, [session], out var produced) is { } noAudio)
        {
            return (null, null, noAudio);
        }
        var tap = new Tap(tapId, visit.Id, officerId, officerRole, isWebRtc: true, party, [session], now, produced);
        session.Failed += (_, reason) => TapTransportFailed?.Invoke(visit, tap, reason);
        return (tap, text, null);
    }

    /// <summary>
    /// The leg's one peer (the way out, bound to the pair ICE nominates) comes first: every track and slot of the leg is built
    /// with it; the session, which selects and keys that peer, then gets them as the places the browser's packets go.
    /// </summary>
    private (WebRtcSession Session, RouterParty Party, string Answer, (List<AnsweredMedia> Answers, SdpOffers.WebRtcAnswerInfo Info) Answered) Build(Visit visit, string ownerId, bool isKiosk, NegotiatedJoin join,
        WebRtcOfferInfo webRtc, bool hidden)
    {
        var peer = new WebRtcPeer(port);
        var builder = new PartyBuilder(ownerId, isKiosk, hidden, join.Publishers, feedback ?? FeedbackPolicy.Default, metrics);
        var byPayloadType = new IRtpSink?[128];
        var senders = new Dictionary<int, (uint, string, string)>();
        var answers = new List<AnsweredMedia>(join.Answers.Count);
        for (var i = 0; i < join.Answers.Count; i++)
        {
            var answer = join.Answers[i];
            if (answer.Port == 0)
            {
                answers.Add(answer);
                continue;
            }
            if (builder.Publishes(answer))
            {
                var track = builder.AddTrack(answer, peer, peer, () => FirstMedia?.Invoke(visit));
                foreach (var format in answer.Formats)
                {
                    byPayloadType[format.PayloadType] = track;
                }
            }
            if (answer.Offer.ClientReceives)
            {
                var slot = builder.AddSlot(answer, peer, peer, nackAllowed: port.Options.Nack);
                // Audio and video of the same slot index share a stream, so the browser plays them as one party.
                senders[i] = (slot.Ssrc, $"party{slot.Index}", $"{(slot.Kind == MediaKind.Video ? "video" : "audio")}{slot.Index}");
            }
            answers.Add(answer with { Port = port.Port });
        }
        var routes = new WebRtcRoutes(byPayloadType, builder.Slots, [.. builder.Tracks]);
        var session = new WebRtcSession(port, dtls, peer, webRtc.IceUfrag, webRtc.Fingerprints, routes, metrics, logger);
        var info = new SdpOffers.WebRtcAnswerInfo(session.LocalUfrag, session.LocalPassword, dtls.Fingerprint, port.AnnouncedAddress, port.Port,
            senders) { Nack = port.Options.Nack };
        return (session, builder.Build(), SdpOffers.WriteWebRtcAnswer(answers, info), (answers, info));
    }
}
