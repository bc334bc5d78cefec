using MediaServer.Codecs.Sdp;
using System.Net;
using System.Security.Cryptography;
using MediaServer.Metrics;
using MediaServer.Routing;
using MediaServer.Transport;
using Microsoft.Extensions.Logging;

namespace MediaServer.Visits;

/// <summary>
/// Turns a plain-RTP offer into a leg: after <see cref="JoinNegotiation"/>, one even/odd port pair per accepted m-line, a track
/// for each publishing m-line and a receiver slot for each m-line on which the client receives.
/// </summary>
public sealed partial class PlainRtpJoin(PortAllocator ports, RelayMetrics metrics, ILogger<PlainRtpJoin> logger,
    FeedbackPolicy? feedback = null)
{
    private readonly FeedbackPolicy _feedback = feedback ?? FeedbackPolicy.Default;

    public (Leg? Leg, IReadOnlyList<AnsweredMedia>? Answer, JoinRefusal? Refusal) Plan(
        Visit visit, Participant participant, MediaOffer offer, IPAddress clientAddress, DateTimeOffset now)
    {
        var (join, refusal) = JoinNegotiation.Negotiate(visit, participant, offer);
        if (join is null)
        {
            return (null, null, refusal);
        }
        var (party, endpoints, final, failure) = Build(visit, participant.Id, participant.Role == PartyRole.Kiosk, join.Answers,
            join.Publishers, clientAddress, hidden: false);
        if (party is null)
        {
            return (null, null, failure);
        }
        return (new Leg(visit.Id, participant, party, endpoints!, now) { H264Profile = join.H264Profile }, final, null);
    }

    /// <summary>A tap (receive-only, hidden from the participants) from a plain-RTP offer: one port pair per receiving m-line.</summary>
    public (Tap? Tap, IReadOnlyList<AnsweredMedia>? Answer, JoinRefusal? Refusal) PlanTap(
        Visit visit, MediaOffer offer, IPAddress clientAddress, string officerId, string officerRole, DateTimeOffset now)
    {
        var (negotiated, refusal) = TapNegotiation.Negotiate(visit, offer);
        if (negotiated is null)
        {
            return (null, null, refusal);
        }
        var tapId = Tap.NewId();
        var (party, endpoints, final, failure) = Build(visit, Tap.RouterId(tapId), isKiosk: false, negotiated.Answers,
            negotiated.Publishers, clientAddress, hidden: true);
        if (party is null)
        {
            return (null, null, failure);
        }
        return (new Tap(tapId, visit.Id, officerId, officerRole, isWebRtc: false, party, endpoints!, now), final, null);
    }

    private (RouterParty?, List<PlainRtpEndpoint>?, List<AnsweredMedia>?, JoinRefusal?) Build(Visit visit, string ownerId, bool isKiosk,
        List<AnsweredMedia> answers, Dictionary<MediaKind, OfferedMedia> publisher, IPAddress clientAddress, bool hidden)
    {
        var counters = new PartyCounters(System.Diagnostics.Stopwatch.GetTimestamp());
        var endpoints = new List<PlainRtpEndpoint>();
        var tracks = new Dictionary<MediaKind, Track>();
        var videoSlots = new List<ReceiverSlot>();
        var audioSlots = new List<ReceiverSlot>();
        var final = new List<AnsweredMedia>(answers.Count);
        foreach (var answer in answers)
        {
            if (answer.Port == 0)
            {
                final.Add(answer);
                continue;
            }
            var kind = answer.Offer.Kind!.Value;
            var pair = ports.Allocate();
            if (pair is null)
            {
                LogPortsExhausted(logger, visit.Id);
                foreach (var opened in endpoints)
                {
                    opened.Dispose();
                }
                return (null, null, null, new JoinRefusal(503, "No media ports free",
                    "Every port of the configured RTP range is in use; try again shortly or widen MediaServer:Rtp:PortMin/PortMax."));
            }
            Track? track = null;
            if (publisher.TryGetValue(kind, out var pub) && ReferenceEquals(pub, answer.Offer))
            {
                var map = new MediaCodec[128];
                foreach (var format in answer.Formats)
                {
                    map[format.PayloadType] = format.Codec;
                }
                track = new Track(ownerId, kind, map, counters, metrics) { Feedback = _feedback };
                track.OnFirstPacket(() => FirstMedia?.Invoke(visit));
                tracks[kind] = track;
            }
            // Receive-only slots accept nothing from the client: the endpoint counts such packets as no_route.
            var expected = answer.Offer.Address is { } a && !a.Equals(IPAddress.Any) && !a.Equals(IPAddress.IPv6Any) ? a : null;
            var endpoint = new PlainRtpEndpoint(pair, expected, track, metrics, logger);
            endpoints.Add(endpoint);
            // RFC 3550 §11: the client takes RTCP on the port after its RTP port, unless a=rtcp says otherwise (RFC 3605).
            var clientHost = expected ?? clientAddress;
            endpoint.RtcpDestination = new IPEndPoint(clientHost, answer.Offer.RtcpPort ?? answer.Offer.Port + 1).Serialize();
            if (track is not null)
            {
                track.SetKeyframeSource(endpoint);
                track.Rtcp = endpoint;
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
                var destination = new IPEndPoint(clientHost, answer.Offer.Port).Serialize();
                var slots = kind == MediaKind.Video ? videoSlots : audioSlots;
                var slot = new ReceiverSlot(ownerId, kind, slots.Count, payloadTypes, RandomSsrc(), endpoint.Sender, destination, counters, metrics)
                {
                    Rtcp = endpoint,
                    Hidden = hidden,
                    // RFC 4585 §4.2: NACKs are answered only where the offer asked for generic NACK (and the answer says so).
                    AnswersNacks = OffersNack(answer.Formats),
                    Feedback = _feedback,
                };
                endpoint.RtcpSink = slot;
                slots.Add(slot);
            }
            final.Add(answer with { Port = pair.RtpPort });
        }

        var party = new RouterParty(ownerId, isKiosk,
            tracks.GetValueOrDefault(MediaKind.Video), tracks.GetValueOrDefault(MediaKind.Audio), videoSlots, audioSlots, counters);
        return (party, endpoints, final, null);
    }

    /// <summary>Raised (off the packet path) when a leg's first media packet arrives.</summary>
    public event Action<Visit>? FirstMedia;

    /// <summary>Whether any answered format carries <c>a=rtcp-fb:&lt;pt&gt; nack</c> or <c>a=rtcp-fb:* nack</c> (generic NACK).</summary>
    internal static bool OffersNack(IReadOnlyList<OfferedFormat> formats)
    {
        foreach (var format in formats)
        {
            if (format.Feedback.Contains("nack"))
            {
                return true;
            }
        }
        return false;
    }

    private static uint RandomSsrc() => BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4));

    [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "No RTP ports free for a join to visit {VisitId}")]
    private static partial void LogPortsExhausted(ILogger logger, string visitId);
}
