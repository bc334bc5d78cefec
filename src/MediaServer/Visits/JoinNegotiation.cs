using MediaServer.Codecs.Sdp;
using MediaServer.Routing;

namespace MediaServer.Visits;

/// <summary>An m-line of our answer: the port we receive on (0 = rejected) and the formats we accept.</summary>
public sealed record AnsweredMedia(OfferedMedia Offer, int Port, IReadOnlyList<OfferedFormat> Formats, SdpDirection Direction);

public sealed record JoinRefusal(int Status, string Title, string Detail);

/// <summary>What a negotiation decided: the answer's m-lines (ports still to be filled) and which m-line publishes each kind.</summary>
public sealed record NegotiatedJoin(List<AnsweredMedia> Answers, Dictionary<MediaKind, OfferedMedia> Publishers);

/// <summary>
/// The transport-independent half of a join (RFC 3264 offer/answer, api.md SDP rules): the first sending m-line of each kind
/// publishes the party's own media and receives the first other party; further m-lines receive the rest. Codecs are matched
/// against the parties already in the visit, because the relay never transcodes: a join that could not be heard or seen is
/// refused (422) with the codecs named.
/// </summary>
public static class JoinNegotiation
{
    public static (NegotiatedJoin? Join, JoinRefusal? Refusal) Negotiate(Visit visit, Participant participant, MediaOffer offer)
    {
        var others = new List<RouterParty>();
        foreach (var party in visit.Router.Parties)
        {
            if (party.ParticipantId != participant.Id)
            {
                others.Add(party);
            }
        }

        // Which m-line publishes each kind: the first one the client sends on, with a codec we relay.
        var publisher = new Dictionary<MediaKind, OfferedMedia>();
        foreach (var media in offer.Media)
        {
            if (media.Kind is { } kind && media.Port != 0 && media.ClientSends && media.Supported.Count > 0 && !publisher.ContainsKey(kind))
            {
                publisher[kind] = media;
            }
        }
        if (offer.Media.All(m => m.Kind is null || m.Port == 0 || m.Supported.Count == 0))
        {
            return (null, new JoinRefusal(422, "No usable media",
                $"The offer names no audio or video m-line with a codec the relay forwards ({Supported()})."));
        }

        var answers = new List<AnsweredMedia>();
        foreach (var media in offer.Media)
        {
            if (media.Kind is not { } kind || media.Port == 0 || media.Supported.Count == 0)
            {
                answers.Add(new AnsweredMedia(media, 0, [], SdpDirection.Inactive));
                continue;
            }
            IReadOnlyList<OfferedFormat> formats = media.Supported;
            if (publisher.TryGetValue(kind, out var pub) && ReferenceEquals(pub, media))
            {
                // Narrow what this party may send to what every other party can receive.
                var narrowed = new List<OfferedFormat>();
                foreach (var format in media.Supported)
                {
                    if (others.All(o => o.SlotsOf(kind).Count == 0 || o.SlotsOf(kind).Any(s => s.Accepts(format.Codec))))
                    {
                        narrowed.Add(format);
                    }
                }
                if (narrowed.Count == 0)
                {
                    var receiver = others.First(o => o.SlotsOf(kind).Count > 0 && !o.SlotsOf(kind).Any(s => media.Supported.Any(f => s.Accepts(f.Codec))));
                    return (null, new JoinRefusal(422, "No common codec",
                        $"This party offers to send {kind.ToString().ToLowerInvariant()} as {Describe(media.Supported)}, "
                        + $"but participant '{receiver.ParticipantId}' receives only {Describe(receiver.SlotsOf(kind))}. The relay does not transcode."));
                }
                formats = narrowed;
            }
            answers.Add(new AnsweredMedia(media, -1, formats, media.Direction.Reverse()));
        }

        // What the others send must be receivable by this party.
        foreach (var other in others)
        {
            foreach (var kind in new[] { MediaKind.Video, MediaKind.Audio })
            {
                var track = other.TrackOf(kind);
                var slots = answers.Where(a => a.Port != 0 && a.Offer.Kind == kind && a.Offer.ClientReceives).ToList();
                if (track is null || slots.Count == 0)
                {
                    continue;
                }
                if (!slots.Any(a => a.Formats.Any(f => track.Codecs.Contains(f.Codec))))
                {
                    return (null, new JoinRefusal(422, "No common codec",
                        $"Participant '{other.ParticipantId}' sends {kind.ToString().ToLowerInvariant()} as {Describe(track.Codecs)}, "
                        + $"but this offer receives only {Describe(slots.SelectMany(a => a.Formats).Select(f => f.Codec))}. The relay does not transcode."));
                }
            }
        }

        return (new NegotiatedJoin(answers, publisher), null);
    }

    private static string Supported() => string.Join(", ", new[] { MediaCodec.Vp8, MediaCodec.H264, MediaCodec.Opus }.Select(MediaCodecs.Describe));

    private static string Describe(IEnumerable<OfferedFormat> formats) => Describe(formats.Select(f => f.Codec));

    private static string Describe(IEnumerable<ReceiverSlot> slots) =>
        Describe(new[] { MediaCodec.Vp8, MediaCodec.H264, MediaCodec.Opus }.Where(c => slots.Any(s => s.Accepts(c))));

    private static string Describe(IEnumerable<MediaCodec> codecs)
    {
        var names = codecs.Distinct().Select(MediaCodecs.Describe).ToList();
        return names.Count == 0 ? "nothing" : string.Join(", ", names);
    }
}
