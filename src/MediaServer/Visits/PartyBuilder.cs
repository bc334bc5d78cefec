using System.Diagnostics;
using System.Security.Cryptography;
using MediaServer.Media;
using MediaServer.Metrics;
using MediaServer.Routing;

namespace MediaServer.Visits;

/// <summary>
/// The one way a leg or a tap (plain RTP or WebRTC) becomes what it brings to the router: for each answered m-line, a
/// <see cref="Track"/> where the m-line publishes the party's media and a <see cref="ReceiverSlot"/> where the client receives,
/// each built with the transport's peer-bound parts (sender, RTCP channel, keyframe source) handed in by the transport's join.
/// </summary>
internal sealed class PartyBuilder(string ownerId, bool isKiosk, bool hidden, IReadOnlyDictionary<MediaKind, OfferedMedia> publishers,
    FeedbackPolicy feedback, RelayMetrics metrics)
{
    private readonly Dictionary<MediaKind, Track> _tracks = [];
    private readonly List<ReceiverSlot> _videoSlots = [];
    private readonly List<ReceiverSlot> _audioSlots = [];

    public PartyCounters Counters { get; } = new(Stopwatch.GetTimestamp());

    /// <summary>The tracks built so far (their sender reports go to the recording).</summary>
    public IReadOnlyCollection<Track> Tracks => _tracks.Values;

    /// <summary>The slots built so far, video first.</summary>
    public IReadOnlyList<ReceiverSlot> Slots => [.. _videoSlots, .. _audioSlots];

    /// <summary>Whether <paramref name="answer"/> is the m-line that publishes its kind (the first sending one).</summary>
    public bool Publishes(AnsweredMedia answer) =>
        publishers.TryGetValue(answer.Offer.Kind!.Value, out var publisher) && ReferenceEquals(publisher, answer.Offer);

    /// <summary>The track of a publishing m-line: what each of its payload types carries, and where its feedback goes.</summary>
    public Track AddTrack(AnsweredMedia answer, IKeyframeSource keyframeSource, IRtcpChannel rtcp, Action firstPacket)
    {
        var kind = answer.Offer.Kind!.Value;
        var map = new MediaCodec[128];
        foreach (var format in answer.Formats)
        {
            map[format.PayloadType] = format.Codec;
        }
        var track = new Track(ownerId, kind, map, Counters, metrics) { Feedback = feedback, KeyframeSource = keyframeSource, Rtcp = rtcp };
        track.OnFirstPacket(firstPacket);
        _tracks[kind] = track;
        return track;
    }

    /// <summary>The slot of a receiving m-line: the client's payload type for each codec, a fresh SSRC, and the way to it.</summary>
    /// <param name="nackAllowed">Whether the transport answers NACKs at all (WebRTC: MediaServer:WebRtc:Nack).</param>
    public ReceiverSlot AddSlot(AnsweredMedia answer, IRtpSender sender, IRtcpChannel rtcp, bool nackAllowed)
    {
        var kind = answer.Offer.Kind!.Value;
        var payloadTypes = new byte[MediaCodecs.Count];
        Array.Fill(payloadTypes, MediaCodecs.NoPayloadType);
        foreach (var format in answer.Formats)
        {
            if (payloadTypes[(int)format.Codec] == MediaCodecs.NoPayloadType)
            {
                payloadTypes[(int)format.Codec] = format.PayloadType;
            }
        }
        var slots = kind == MediaKind.Video ? _videoSlots : _audioSlots;
        var slot = new ReceiverSlot(ownerId, kind, slots.Count, payloadTypes, RandomSsrc(), sender, Counters, metrics)
        {
            Rtcp = rtcp,
            Hidden = hidden,
            // RFC 4585 §4.2: NACKs are answered only where the offer asked for generic NACK (and the answer says so).
            AnswersNacks = nackAllowed && OffersNack(answer.Formats),
            Feedback = feedback,
        };
        slots.Add(slot);
        return slot;
    }

    public RouterParty Build() => new(ownerId, isKiosk, _tracks.GetValueOrDefault(MediaKind.Video), _tracks.GetValueOrDefault(MediaKind.Audio),
        _videoSlots, _audioSlots, Counters);

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
}
