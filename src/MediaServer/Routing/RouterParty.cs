using MediaServer.Media;

namespace MediaServer.Routing;

/// <summary>What one joined leg brings to the router: the tracks it publishes and the slots it receives on.</summary>
public sealed class RouterParty(string participantId, bool isKiosk, Track? video, Track? audio,
    IReadOnlyList<ReceiverSlot> videoSlots, IReadOnlyList<ReceiverSlot> audioSlots, PartyCounters counters)
{
    public string ParticipantId { get; } = participantId;
    public bool IsKiosk { get; } = isKiosk;
    public Track? Video { get; } = video;
    public Track? Audio { get; } = audio;
    public IReadOnlyList<ReceiverSlot> VideoSlots { get; } = videoSlots;
    public IReadOnlyList<ReceiverSlot> AudioSlots { get; } = audioSlots;
    public PartyCounters Counters { get; } = counters;

    /// <summary>Order in which the participant first joined the visit; set by the router, kept across re-joins.</summary>
    public int JoinOrder { get; internal set; }

    public Track? TrackOf(MediaKind kind) => kind == MediaKind.Video ? Video : Audio;

    public IReadOnlyList<ReceiverSlot> SlotsOf(MediaKind kind) => kind == MediaKind.Video ? VideoSlots : AudioSlots;
}
