using MediaServer.Codecs.Sdp;
using MediaServer.Media;
using MediaServer.Routing;
using MediaServer.Transport;

namespace MediaServer.Visits;

/// <summary>
/// The transport-independent half of a tap (docs/api.md, SDP rules for join and tap): every m-line on which the client receives
/// becomes a slot we only send on (RFC 3264 §6.1: recvonly or sendrecv is answered sendonly); nothing publishes, so nothing
/// the client might send is ever routed. Codecs are matched against the parties already in the visit the same way a join's
/// are, but a tap never narrows what a party may send: it takes what the parties send, or is refused (422).
/// </summary>
public static class TapNegotiation
{
    public static (NegotiatedJoin? Tap, JoinRefusal? Refusal) Negotiate(Visit visit, MediaOffer offer)
    {
        var answers = new List<AnsweredMedia>(offer.Media.Count);
        foreach (var media in offer.Media)
        {
            if (media.Kind is null || media.Port == 0 || media.Supported.Count == 0 || !media.ClientReceives)
            {
                answers.Add(new AnsweredMedia(media, 0, [], SdpDirection.Inactive));
                continue;
            }
            answers.Add(new AnsweredMedia(media, -1, media.Supported, SdpDirection.SendOnly));
        }
        if (answers.TrueForAll(a => a.Port == 0))
        {
            return (null, new JoinRefusal(ProblemTypes.NoUsableMedia, 422, "No usable media",
                "A tap offers receive-only (recvonly) audio or video m-lines with a codec the relay forwards "
                + "(VP8/90000, H264/90000 (packetization-mode=1), opus/48000/2); this offer has none."));
        }

        foreach (var party in visit.Router.Parties)
        {
            foreach (var kind in new[] { MediaKind.Video, MediaKind.Audio })
            {
                var track = party.TrackOf(kind);
                var slots = answers.Where(a => a.Port != 0 && a.Offer.Kind == kind).ToList();
                if (track is null || slots.Count == 0)
                {
                    continue;
                }
                if (!slots.Any(a => a.Formats.Any(f => track.Codecs.Contains(f.Codec))))
                {
                    var offered = slots.SelectMany(a => a.Formats).Select(f => f.Codec).Distinct().Select(MediaCodecs.Describe);
                    return (null, new JoinRefusal(ProblemTypes.NoCommonCodec, 422, "No common codec",
                        $"Participant '{party.ParticipantId}' sends {kind.ToString().ToLowerInvariant()} as "
                        + $"{string.Join(", ", track.Codecs.Select(MediaCodecs.Describe))}, but this tap receives only "
                        + $"{string.Join(", ", offered)}. The relay does not transcode."));
                }
            }
        }
        return (new NegotiatedJoin(answers, []), null);
    }

    /// <summary>
    /// A tap whose audio is produced (<see cref="ITapAudio"/>) gets its party and producer before it is constructed; a
    /// refusal disposes the transports already bound, so nothing of the planned tap stays behind.
    /// </summary>
    public static JoinRefusal? PlanAudio(ITapAudio? audio, Visit visit, RouterParty planned,
        IEnumerable<ILegTransport> transports, out TapAudio? produced)
    {
        produced = null;
        if (audio is null)
        {
            return null;
        }
        if (audio.TryPlan(visit, planned, out var plan) is { } refusal)
        {
            foreach (var transport in transports)
            {
                transport.Dispose();
            }
            return refusal;
        }
        produced = plan;
        return null;
    }
}
