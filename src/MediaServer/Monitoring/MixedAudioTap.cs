using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using MediaServer.Codecs.Rtp;
using MediaServer.Media;
using MediaServer.Metrics;
using MediaServer.Routing;
using MediaServer.Visits;

namespace MediaServer.Monitoring;

/// <summary>
/// A tap's mixed audio (<c>?audio=mixed</c>): every party's Opus is decoded, summed and re-encoded into one Opus stream sent
/// on the tap's (first) audio m-line, for listen-only consoles and phones. Video is routed as for any tap.
/// <para>
/// How it fits the router: the tap is built (see <see cref="Planner"/>) with a party whose audio slots are hidden ones, one per participant, whose "sender" is a
/// <see cref="MixerInput"/> that copies each packet into the <see cref="OpusMixer"/>'s queue: the relay path only copies. The
/// one shared <see cref="MixerClock"/> thread wakes every 20 ms, mixes each tap's frame, and hands it to a track of the tap's
/// own whose one subscriber is the tap's real audio slot, so the packet leaves with that slot's SSRC, sequence numbers and timestamps like any other the tap receives.
/// </para>
/// </summary>
public sealed class MixedAudioTap : IDisposable
{
    /// <summary>The payload type of the mixer's own stream before the slot maps it to the tap's (any Opus number works).</summary>
    private const byte MixPayloadType = 111;

    private static readonly TimeSpan Frame = TimeSpan.FromMilliseconds(20);

    private readonly OpusMixer _mixer;
    private readonly Track _track;
    private readonly uint _ssrc = BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4));
    private readonly byte[] _packet = new byte[RtpPacket.FixedHeaderLength + OpusMixer.MaxPayload];
    private ushort _sequence = (ushort)Random.Shared.Next(0, 1 << 16);
    private uint _timestamp = (uint)Random.Shared.NextInt64(0, 1L << 32);
    private int _disposed;

    private MixedAudioTap(OpusMixer mixer, Track track)
    {
        _mixer = mixer;
        _track = track;
    }

    public OpusMixer Mixer => _mixer;

    /// <summary>The refusal when a mixed-audio tap's offer has no audio m-line that takes Opus.</summary>
    public static readonly JoinRefusal NoAudioSlot = new(ProblemTypes.NoUsableMedia, 422, "No audio slot for the mix",
        "A mixed-audio tap (audio=mixed) needs a receive-only audio m-line offering opus/48000/2; this offer has none.");

    /// <summary>
    /// Plans a mixed-audio tap (<see cref="ITapAudio"/>): the tap's first audio slot carries the mix, fed by hidden audio
    /// slots, one per participant. Refuses, changing nothing, when the planned party has no audio slot that takes Opus.
    /// </summary>
    public sealed class Planner(RelayMetrics metrics) : ITapAudio
    {
        public JoinRefusal? TryPlan(Visit visit, RouterParty planned, out TapAudio audio)
        {
            audio = default;
            if (planned.AudioSlots.Count == 0 || !planned.AudioSlots[0].Accepts(MediaCodec.Opus))
            {
                return NoAudioSlot;
            }
            audio = Build(planned, Math.Max(1, visit.Participants.Count), metrics);
            return null;
        }
    }

    private static TapAudio Build(RouterParty planned, int inputs, RelayMetrics metrics)
    {
        var output = planned.AudioSlots[0];
        var mixer = new OpusMixer(inputs);

        // The feeding slots count what they copy on counters of their own: the tap's counters say what reached the officer.
        var feedCounters = new PartyCounters(Stopwatch.GetTimestamp());
        var feeders = new List<ReceiverSlot>(inputs);
        var opusOnly = new byte[MediaCodecs.Count];
        Array.Fill(opusOnly, MediaCodecs.NoPayloadType);
        opusOnly[(int)MediaCodec.Opus] = MixPayloadType;
        for (var i = 0; i < inputs; i++)
        {
            feeders.Add(new ReceiverSlot(planned.ParticipantId, MediaKind.Audio, i, opusOnly, (uint)i, new MixerInput(mixer, i),
                feedCounters, metrics)
            {
                Hidden = true,
            });
        }

        var map = new MediaCodec[128];
        map[MixPayloadType] = MediaCodec.Opus;
        var track = new Track(planned.ParticipantId + "/mix", MediaKind.Audio, map, new PartyCounters(Stopwatch.GetTimestamp()), metrics);
        var mixed = new MixedAudioTap(mixer, track);
        output.SetSource(track);
        track.SetSubscribers([output]);
        MixerClock.Shared.Add(mixed);
        var party = new RouterParty(planned.ParticipantId, planned.IsKiosk, null, null, planned.VideoSlots, feeders, planned.Counters);
        return new TapAudio(party, mixed);
    }

    /// <summary>
    /// One 20 ms frame: mixes, and sends the frame on the mix's track (run by <see cref="MixerClock"/>'s thread, never
    /// concurrently with itself).
    /// </summary>
    internal void Tick()
    {
        var packet = _packet;
        int length;
        try
        {
            length = _mixer.MixFrame(packet.AsSpan(RtpPacket.FixedHeaderLength));
        }
        catch (Exception e) when (e is Concentus.OpusException or ArgumentException)
        {
            length = 0;
        }
        if (length > 0)
        {
            // RFC 3550 §5.1 fixed header; RFC 7587 §4.1: the timestamp counts 48 kHz samples whatever Opus coded.
            packet[0] = 0x80;
            packet[1] = MixPayloadType;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), _sequence);
            BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), _timestamp);
            BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(8), _ssrc);
            var header = new RtpHeaderInfo(_sequence, _timestamp, _ssrc, MixPayloadType, false, RtpPacket.FixedHeaderLength);
            _track.OnRtp(packet.AsSpan(0, RtpPacket.FixedHeaderLength + length), header);
            _sequence++;
        }
        // Silence is not sent (RFC 3551 §4.1 allows gaps); the timestamp still moves, so playout keeps real time.
        _timestamp += OpusMixer.FrameSamples;
    }

    /// <summary>Called by the clock once this mix will never be ticked again.</summary>
    internal void Retire() => _mixer.Dispose();

    /// <summary>Stops the mix: the clock drops it before its next frame and then frees its codec state.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            MixerClock.Shared.Remove(this);
        }
    }

    /// <summary>Where a feeding slot "sends": into the mixer's queue for one party. Runs on that party's receive loop.</summary>
    private sealed class MixerInput(OpusMixer mixer, int input) : IRtpSender
    {
        public bool IsReady => true;

        public bool TrySend(ReadOnlySpan<byte> packet)
        {
            if (!RtpPacket.TryParse(packet, out var parsed))
            {
                return false;
            }
            mixer.Push(input, parsed.SequenceNumber, parsed.Payload);
            return true;
        }
    }
}
