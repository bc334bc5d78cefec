using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
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
        var (session, party, text) = Build(visit, participant.Id, participant.Role == PartyRole.Kiosk, join, webRtc, hidden: false);
        var leg = new Leg(visit.Id, participant, party, [session], now) { H264Profile = join.H264Profile };
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
        DateTimeOffset now)
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
        var (session, party, text) = Build(visit, Tap.RouterId(tapId), isKiosk: false, negotiated, webRtc, hidden: true);
        var tap = new Tap(tapId, visit.Id, officerId, officerRole, isWebRtc: true, party, [session], now);
        session.Failed += (_, reason) => TapTransportFailed?.Invoke(visit, tap, reason);
        return (tap, text, null);
    }

    private (WebRtcSession Session, RouterParty Party, string Answer) Build(Visit visit, string ownerId, bool isKiosk, NegotiatedJoin join,
        WebRtcOfferInfo webRtc, bool hidden)
    {
        var session = new WebRtcSession(port, dtls, webRtc.IceUfrag, webRtc.Fingerprints, metrics, logger);
        var counters = new PartyCounters(Stopwatch.GetTimestamp());
        var tracks = new Dictionary<MediaKind, Track>();
        var videoSlots = new List<ReceiverSlot>();
        var audioSlots = new List<ReceiverSlot>();
        var senders = new Dictionary<int, (uint, string, string)>();
        var answers = new List<AnsweredMedia>(join.Answers.Count);
        var placeholder = new IPEndPoint(IPAddress.Loopback, 9).Serialize();
        for (var i = 0; i < join.Answers.Count; i++)
        {
            var answer = join.Answers[i];
            if (answer.Port == 0)
            {
                answers.Add(answer);
                continue;
            }
            var kind = answer.Offer.Kind!.Value;
            if (join.Publishers.TryGetValue(kind, out var publisher) && ReferenceEquals(publisher, answer.Offer))
            {
                var map = new MediaCodec[128];
                foreach (var format in answer.Formats)
                {
                    map[format.PayloadType] = format.Codec;
                }
                var track = new Track(ownerId, kind, map, counters, metrics) { Feedback = feedback ?? FeedbackPolicy.Default };
                track.OnFirstPacket(() => FirstMedia?.Invoke(visit));
                track.SetKeyframeSource(session);
                track.Rtcp = session;
                tracks[kind] = track;
                foreach (var format in answer.Formats)
                {
                    session.TrackByPayloadType[format.PayloadType] = track;
                }
            }
            if (answer.Offer.ClientReceives)
            {
                var payloadTypes = new byte[MediaCodecs.Count];
                Array.Fill(payloadTypes, MediaCodecs.NoPayloadType);
                foreach (var format in answer.Formats)
                {
                    if (payloadTypes[(int)format.Codec] == MediaCodecs.NoPayloadType)
                    {
                        payloadTypes[(int)format.Codec] = format.PayloadType;
                    }
                }
                var slots = kind == MediaKind.Video ? videoSlots : audioSlots;
                var ssrc = RandomSsrc();
                slots.Add(new ReceiverSlot(ownerId, kind, slots.Count, payloadTypes, ssrc, session, placeholder, counters, metrics)
                {
                    Rtcp = session,
                    Hidden = hidden,
                    AnswersNacks = port.Options.Nack && PlainRtpJoin.OffersNack(answer.Formats),
                    Feedback = feedback ?? FeedbackPolicy.Default,
                });
                // Audio and video of the same slot index share a stream, so the browser plays them as one party.
                var index = slots.Count - 1;
                senders[i] = (ssrc, $"party{index}", $"{(kind == MediaKind.Video ? "video" : "audio")}{index}");
            }
            answers.Add(answer with { Port = port.Port });
        }
        session.Slots = [.. videoSlots, .. audioSlots];
        session.SenderTracks = [.. tracks.Values];

        var party = new RouterParty(ownerId, isKiosk,
            tracks.GetValueOrDefault(MediaKind.Video), tracks.GetValueOrDefault(MediaKind.Audio), videoSlots, audioSlots, counters);
        var text = SdpOffers.WriteWebRtcAnswer(answers, new SdpOffers.WebRtcAnswerInfo(
            session.LocalUfrag, session.LocalPassword, dtls.Fingerprint, port.AnnouncedAddress, port.Port, senders) { Nack = port.Options.Nack });
        return (session, party, text);
    }

    private static uint RandomSsrc() => BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4));
}
