using MediaServer.Codecs.Sdp;
using MediaServer.Media;
using MediaServer.Routing;

namespace MediaServer.Visits;

/// <summary>An m-line of our answer: the port we receive on (0 = rejected) and the formats we accept.</summary>
public sealed record AnsweredMedia(OfferedMedia Offer, int Port, IReadOnlyList<OfferedFormat> Formats, SdpDirection Direction);

/// <summary>Why a join or tap is refused: a <see cref="ProblemTypes"/> slug, the HTTP status and the words for people.</summary>
public sealed record JoinRefusal(string Type, int Status, string Title, string Detail)
{
    /// <summary>When a too-early join's visit opens (the problem's <c>opensAt</c> member, RFC 9457 §3.2), so a page can say it in local time.</summary>
    public DateTimeOffset? OpensAt { get; init; }
}

/// <summary>What a negotiation decided: the answer's m-lines (ports still to be filled) and which m-line publishes each kind.</summary>
public sealed record NegotiatedJoin(List<AnsweredMedia> Answers, Dictionary<MediaKind, OfferedMedia> Publishers)
{
    /// <summary>The one H.264 profile of every H.264 format in the answer; null when the answer names no H.264.</summary>
    public H264Profile? H264Profile { get; init; }
}

/// <summary>
/// The transport-independent half of a join (RFC 3264 offer/answer, docs/api.md SDP rules): the first sending m-line of each kind
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

        // H.264 is one codec per profile (RFC 6184 §8.2.2), and a receiver slot maps each codec to one payload type, so every
        // party of a visit answers H.264 in one profile: the one the others already use, or this offer's preferred one.
        var visitProfile = VisitH264Profile(visit, others);
        var h264 = visitProfile ?? PreferredH264Profile(offer.Media);
        var offered = KeepH264Profile(offer.Media, h264, out var otherProfiles);
        var refusalNote = visitProfile is { } required && otherProfiles.Count > 0
            ? $" H.264 is shared only in the profile the other parties use ({Name(required)}); this offer's H.264 is {string.Join(", ", otherProfiles.Select(Name))}."
            : "";

        for (var i = 0; i < offered.Count; i++)
        {
            if (offered[i].Port != 0 && offered[i].Supported.Count == 0 && offer.Media[i].Supported.Count > 0)
            {
                // Not a codec the relay lacks (that m-line would just be rejected) but one the others do not share.
                return (null, new JoinRefusal(ProblemTypes.NoCommonCodec, 422, "No common codec",
                    $"M-line '{offered[i].Mid ?? offered[i].Media}' offers only H.264 in {string.Join(", ", otherProfiles.Select(Name))}, "
                    + $"but this visit uses H.264 in {(h264 is { } p ? Name(p) : "no profile")}. The relay does not transcode."));
            }
        }

        // Which m-line publishes each kind: the first one the client sends on, with a codec we relay.
        var publisher = new Dictionary<MediaKind, OfferedMedia>();
        foreach (var media in offered)
        {
            if (media.Kind is { } kind && media.Port != 0 && media.ClientSends && media.Supported.Count > 0 && !publisher.ContainsKey(kind))
            {
                publisher[kind] = media;
            }
        }
        if (offered.All(m => m.Kind is null || m.Port == 0 || m.Supported.Count == 0))
        {
            return (null, new JoinRefusal(ProblemTypes.NoUsableMedia, 422, "No usable media",
                $"The offer names no audio or video m-line with a codec the relay forwards ({Supported()})." + refusalNote));
        }

        var answers = new List<AnsweredMedia>();
        foreach (var media in offered)
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
                    return (null, new JoinRefusal(ProblemTypes.NoCommonCodec, 422, "No common codec",
                        $"This party offers to send {kind.ToString().ToLowerInvariant()} as {Describe(media.Supported)}, "
                        + $"but participant '{receiver.ParticipantId}' receives only {Describe(receiver.SlotsOf(kind))}. The relay does not transcode." + refusalNote));
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
                    return (null, new JoinRefusal(ProblemTypes.NoCommonCodec, 422, "No common codec",
                        $"Participant '{other.ParticipantId}' sends {kind.ToString().ToLowerInvariant()} as {Describe(track.Codecs)}, "
                        + $"but this offer receives only {Describe(slots.SelectMany(a => a.Formats).Select(f => f.Codec))}. The relay does not transcode." + refusalNote));
                }
            }
        }

        var answersH264 = answers.Any(a => a.Port != 0 && a.Formats.Any(f => f.Codec == MediaCodec.H264));
        return (new NegotiatedJoin(answers, publisher) { H264Profile = answersH264 ? h264 : null }, null);
    }

    /// <summary>The H.264 profile the other parties' answers named (they all name the same one), or null.</summary>
    private static H264Profile? VisitH264Profile(Visit visit, List<RouterParty> others)
    {
        foreach (var other in others)
        {
            if (visit.LatestLeg(other.ParticipantId)?.H264Profile is { } profile)
            {
                return profile;
            }
        }
        return null;
    }

    /// <summary>
    /// The profile to answer when nobody in the visit uses H.264 yet: Constrained Baseline if offered, because every WebRTC
    /// endpoint must support it (RFC 7742 §6.2) and so later parties can match it; otherwise the offer's first H.264 profile.
    /// </summary>
    private static H264Profile? PreferredH264Profile(IReadOnlyList<OfferedMedia> media)
    {
        H264Profile? first = null;
        foreach (var format in media.SelectMany(m => m.Supported))
        {
            if (ProfileOf(format) is { } profile)
            {
                if (profile == H264Profile.ConstrainedBaseline)
                {
                    return profile;
                }
                first ??= profile;
            }
        }
        return first;
    }

    /// <summary>The offer with its H.264 formats narrowed to <paramref name="profile"/>; the profiles left out are reported.</summary>
    private static List<OfferedMedia> KeepH264Profile(IReadOnlyList<OfferedMedia> media, H264Profile? profile, out List<H264Profile> leftOut)
    {
        leftOut = [];
        var kept = new List<OfferedMedia>(media.Count);
        foreach (var m in media)
        {
            var formats = new List<OfferedFormat>(m.Supported.Count);
            foreach (var format in m.Supported)
            {
                if (ProfileOf(format) is not { } formatProfile || formatProfile == profile)
                {
                    formats.Add(format);
                }
                else if (!leftOut.Contains(formatProfile))
                {
                    leftOut.Add(formatProfile);
                }
            }
            kept.Add(formats.Count == m.Supported.Count ? m : m with { Supported = formats });
        }
        return kept;
    }

    private static H264Profile? ProfileOf(OfferedFormat format) =>
        format.Codec == MediaCodec.H264 && H264ProfileLevelId.TryFromFmtp(format.Fmtp, out var id) ? id.Profile : null;

    /// <summary>"ConstrainedBaseline" → "Constrained Baseline".</summary>
    private static string Name(H264Profile profile)
    {
        var text = profile.ToString();
        var name = new System.Text.StringBuilder(text.Length + 4);
        for (var i = 0; i < text.Length; i++)
        {
            if (i > 0 && char.IsUpper(text[i]))
            {
                name.Append(' ');
            }
            name.Append(text[i]);
        }
        return name.ToString();
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
