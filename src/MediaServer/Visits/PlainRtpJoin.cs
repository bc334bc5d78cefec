using System.Net;
using MediaServer.Media;
using MediaServer.Metrics;
using MediaServer.Routing;
using MediaServer.Transport;
using Microsoft.Extensions.Logging;

namespace MediaServer.Visits;

/// <summary>
/// Turns a plain-RTP offer into a leg: after <see cref="JoinNegotiation"/>, one even/odd port pair per accepted m-line, a track
/// for each publishing m-line and a receiver slot for each m-line on which the client receives.
/// <para>
/// Plain RTP carries no authentication (RFC 3550 §9 leaves it to lower layers), so where media comes from and goes to is bound
/// to the one address the server knows is the client's: the address the join request came from over HTTP. A join from outside
/// <c>MediaServer:Rtp:AllowedNetworks</c> is refused before any port is bound. Each m-line latches only a source on that address;
/// media and RTCP are sent only to that address, at the ports the offer named. An offer's c= naming any other address
/// (0.0.0.0, another host) is overridden by the join address, never used: the server is not a reflector towards a third host.
/// </para>
/// <para>
/// A symmetric client (<see cref="MediaOffer.SymmetricRtp"/>) gets, per m-line, a place on a shared pair instead
/// (<see cref="SharedRtpPorts"/>): it sends from the join address at the ports its offer named, which is all that m-line accepts.
/// </para>
/// </summary>
public sealed partial class PlainRtpJoin(PortAllocator ports, AllowedNetworks allowed, RelayMetrics metrics, ILogger<PlainRtpJoin> logger,
    FeedbackPolicy? feedback = null, SharedRtpPorts? shared = null)
{
    private readonly FeedbackPolicy _feedback = feedback ?? FeedbackPolicy.Default;

    public (Leg? Leg, IReadOnlyList<AnsweredMedia>? Answer, JoinRefusal? Refusal) Plan(
        Visit visit, Participant participant, MediaOffer offer, IPAddress clientAddress, DateTimeOffset now)
    {
        if (CheckClient(visit.Id, offer, ref clientAddress) is { } denied)
        {
            return (null, null, denied);
        }
        var (join, refusal) = JoinNegotiation.Negotiate(visit, participant, offer);
        if (join is null)
        {
            return (null, null, refusal);
        }
        var (party, endpoints, final, failure) = Build(visit, participant.Id, participant.Role == PartyRole.Kiosk, join.Answers,
            join.Publishers, clientAddress, hidden: false, offer.SymmetricRtp);
        if (party is null)
        {
            return (null, null, failure);
        }
        return (new Leg(visit.Id, participant, party, endpoints!, now) { H264Profile = join.H264Profile }, final, null);
    }

    /// <summary>A tap (receive-only, hidden from the participants) from a plain-RTP offer: one port pair per receiving m-line.</summary>
    public (Tap? Tap, IReadOnlyList<AnsweredMedia>? Answer, JoinRefusal? Refusal) PlanTap(
        Visit visit, MediaOffer offer, IPAddress clientAddress, string officerId, string officerRole, DateTimeOffset now,
        ITapAudio? audio = null)
    {
        if (CheckClient(visit.Id, offer, ref clientAddress) is { } denied)
        {
            return (null, null, denied);
        }
        var (negotiated, refusal) = TapNegotiation.Negotiate(visit, offer);
        if (negotiated is null)
        {
            return (null, null, refusal);
        }
        var tapId = Tap.NewId();
        var (party, endpoints, final, failure) = Build(visit, Tap.RouterId(tapId), isKiosk: false, negotiated.Answers,
            negotiated.Publishers, clientAddress, hidden: true, symmetric: false);
        if (party is null)
        {
            return (null, null, failure);
        }
        if (TapNegotiation.PlanAudio(audio, visit, party, endpoints!, out var produced) is { } noAudio)
        {
            return (null, null, noAudio);
        }
        return (new Tap(tapId, visit.Id, officerId, officerRole, isWebRtc: false, party, endpoints!, now, produced), final, null);
    }

    /// <summary>
    /// One port pair per accepted m-line (a place on a shared pair for a symmetric client, when one is free). Its peer (the way
    /// back) is bound to the join address at the ports the offer named, so the track and the slot are built with it; the
    /// endpoint then gets them as the places its packets go.
    /// </summary>
    private (RouterParty?, List<PlainRtpEndpoint>?, List<AnsweredMedia>?, JoinRefusal?) Build(Visit visit, string ownerId, bool isKiosk,
        List<AnsweredMedia> answers, Dictionary<MediaKind, OfferedMedia> publisher, IPAddress clientAddress, bool hidden, bool symmetric)
    {
        var builder = new PartyBuilder(ownerId, isKiosk, hidden, publisher, _feedback, metrics);
        var endpoints = new List<PlainRtpEndpoint>();
        var final = new List<AnsweredMedia>(answers.Count);
        foreach (var answer in answers)
        {
            if (answer.Port == 0)
            {
                final.Add(answer);
                continue;
            }
            // Media and RTCP go only to the join request's address, whatever c= said, at the ports the offer named
            // (RFC 3550 §11: RTCP on the port after the RTP port, unless a=rtcp says otherwise, RFC 3605).
            var rtpTo = new IPEndPoint(clientAddress, answer.Offer.Port);
            var rtcpTo = new IPEndPoint(clientAddress, answer.Offer.RtcpPort ?? answer.Offer.Port + 1);
            var pair = (symmetric ? shared?.TryLease(rtpTo, rtcpTo) : null) ?? ports.Allocate();
            if (pair is null)
            {
                LogPortsExhausted(logger, visit.Id);
                foreach (var opened in endpoints)
                {
                    opened.Dispose();
                }
                return (null, null, null, new JoinRefusal(ProblemTypes.NoPorts, 503, "No media ports free",
                    "Every port of the configured RTP range is in use; try again shortly or widen MediaServer:Rtp:PortMin/PortMax."));
            }
            var peer = new PlainRtpPeer(pair, rtpTo, rtcpTo);
            var track = builder.Publishes(answer) ? builder.AddTrack(answer, peer, peer, () => FirstMedia?.Invoke(visit)) : null;
            var slot = answer.Offer.ClientReceives ? builder.AddSlot(answer, peer, peer, nackAllowed: true) : null;
            // Only the join request's address may latch; receive-only slots accept nothing from the client (the endpoint
            // counts such packets as no_route).
            endpoints.Add(new PlainRtpEndpoint(pair, peer, clientAddress, track, slot, track, metrics, logger));
            final.Add(answer with { Port = pair.RtpPort });
        }
        return (builder.Build(), endpoints, final, null);
    }

    /// <summary>
    /// Refuses a client outside the allowed networks, or one the plain-RTP sockets cannot reach; otherwise normalizes its address
    /// and logs when the offer's c= names another one (which is then not used).
    /// </summary>
    private JoinRefusal? CheckClient(string visitId, MediaOffer offer, ref IPAddress clientAddress)
    {
        var client = AllowedNetworks.Normalize(clientAddress);
        if (!allowed.Contains(client))
        {
            LogNotAllowed(logger, visitId, client);
            return new JoinRefusal(ProblemTypes.NetworkNotAllowed, 403, "Network not allowed",
                $"Plain RTP is accepted only from the facility's configured networks (MediaServer:Rtp:AllowedNetworks), and {client} "
                + "is not in them. Join over WebRTC, or ask the administrator to add this device's network.");
        }
        if (client.AddressFamily != ports.Address.AddressFamily)
        {
            return new JoinRefusal(ProblemTypes.AddressFamilyMismatch, 400, "Address family mismatch",
                $"This join came from {client}, but the plain-RTP sockets listen on {ports.Address}; join over the same IP version.");
        }
        foreach (var media in offer.Media)
        {
            if (media.Port != 0 && media.Address is { } named && !AllowedNetworks.Normalize(named).Equals(client))
            {
                // RFC 8866 §5.7 lets c= name any host; sending there would make the server a reflector, so the join address
                // is used instead (and 0.0.0.0, which RFC 3264 §8.4 once used for hold, means the same).
                LogConnectionOverridden(logger, visitId, named, client);
                break;
            }
        }
        clientAddress = client;
        return null;
    }

    /// <summary>Raised (off the packet path) when a leg's first media packet arrives.</summary>
    public event Action<Visit>? FirstMedia;

    [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "No RTP ports free for a join to visit {VisitId}")]
    private static partial void LogPortsExhausted(ILogger logger, string visitId);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "Plain-RTP join to visit {VisitId} from {Client} refused: not in MediaServer:Rtp:AllowedNetworks")]
    private static partial void LogNotAllowed(ILogger logger, string visitId, IPAddress client);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "Plain-RTP offer to visit {VisitId} names c={Named}; media goes to the join address {Client} instead")]
    private static partial void LogConnectionOverridden(ILogger logger, string visitId, IPAddress named, IPAddress client);
}
