using System.Diagnostics;
using MediaServer.Codecs.Rtp;

namespace MediaServer.Routing;

/// <summary>
/// A receiver's view of the stream on one slot: a fixed SSRC, and sequence numbers and timestamps that continue
/// monotonically when the source changes (a sender restarting with a new SSRC, or a party re-joining on a new leg), so a
/// receiver's jitter buffer never sees a jump backwards. Written only by the current source's receive loop; the resend path
/// reads the offsets to give a packet back the numbers it was first sent with.
/// </summary>
public sealed class RtpRewriter
{
    private readonly ushort _initialSequence;
    private readonly uint _initialTimestamp;
    private Track? _lastSource;
    private uint _lastSourceSsrc;
    private bool _started;
    private ushort _sequenceOffset;
    private uint _timestampOffset;
    private ushort _highestSequence;
    private uint _highestTimestamp;
    private long _lastSentTicks;

    public RtpRewriter(uint ssrc)
        : this(ssrc, (ushort)Random.Shared.Next(0, 1 << 16), (uint)Random.Shared.NextInt64(0, 1L << 32))
    {
    }

    /// <param name="initialSequence">RFC 3550 §5.1: random in service; fixed by tests.</param>
    public RtpRewriter(uint ssrc, ushort initialSequence, uint initialTimestamp)
    {
        Ssrc = ssrc;
        _initialSequence = initialSequence;
        _initialTimestamp = initialTimestamp;
    }

    /// <summary>The SSRC the receiver sees, whoever the source is.</summary>
    public uint Ssrc { get; }

    /// <summary>The source the offsets were last computed for (null before the first packet).</summary>
    public Track? LastSource => _lastSource;

    /// <summary>The SSRC of that source when the offsets were computed.</summary>
    public uint LastSourceSsrc => _lastSourceSsrc;

    /// <summary>Whether a packet of <paramref name="from"/> with <paramref name="ssrc"/> needs new offsets first.</summary>
    public bool NeedsRebase(Track from, uint ssrc) => !_started || !ReferenceEquals(from, _lastSource) || ssrc != _lastSourceSsrc;

    /// <summary>The source's sequence number of what the receiver saw as <paramref name="receiverSequence"/>.</summary>
    public ushort SourceSequence(ushort receiverSequence) => (ushort)(receiverSequence - _sequenceOffset);

    /// <summary>What the receiver sees as the source's <paramref name="sourceSequence"/>.</summary>
    public ushort ReceiverSequence(ushort sourceSequence) => (ushort)(sourceSequence + _sequenceOffset);

    /// <summary>The source's sequence number of the newest packet the receiver was sent.</summary>
    public ushort NewestSourceSequence => (ushort)(Volatile.Read(ref _highestSequence) - _sequenceOffset);

    /// <summary>The RTP timestamp the stream would carry now (for sender reports, RFC 3550 §6.4.1).</summary>
    public uint CurrentTimestamp(long nowTicks, int clockRate)
    {
        var elapsed = Math.Max(0, nowTicks - Volatile.Read(ref _lastSentTicks));
        return _highestTimestamp + (uint)(elapsed * (double)clockRate / Stopwatch.Frequency);
    }

    /// <summary>
    /// New offsets for a source starting with this packet: the first source begins at the random initial values; a later one
    /// continues one past what the receiver saw last, with the clock moved on by the wall time that passed, so that the new
    /// source's media plays at its real distance from the old one's.
    /// </summary>
    public void Rebase(Track from, ushort sequenceNumber, uint timestamp, uint ssrc, int clockRate, long nowTicks)
    {
        ushort nextSequence;
        uint nextTimestamp;
        if (!_started)
        {
            nextSequence = _initialSequence;
            nextTimestamp = _initialTimestamp;
            _highestSequence = (ushort)(nextSequence - 1);
            _highestTimestamp = nextTimestamp;
            _started = true;
        }
        else
        {
            nextSequence = (ushort)(_highestSequence + 1);
            var elapsed = Math.Max(0, nowTicks - _lastSentTicks);
            var advance = (uint)Math.Clamp(elapsed * (double)clockRate / Stopwatch.Frequency, 1, int.MaxValue);
            nextTimestamp = _highestTimestamp + advance;
        }
        _sequenceOffset = (ushort)(nextSequence - sequenceNumber);
        _timestampOffset = nextTimestamp - timestamp;
        _lastSource = from;
        _lastSourceSsrc = ssrc;
        _lastSentTicks = nowTicks;
    }

    /// <summary>Rewrites a packet of the current source in place for the receiver, and notes the newest sequence and timestamp.</summary>
    public void Rewrite(Span<byte> packet, ushort sourceSequence, uint sourceTimestamp, byte payloadType, long nowTicks)
    {
        var sequence = (ushort)(sourceSequence + _sequenceOffset);
        var timestamp = sourceTimestamp + _timestampOffset;
        if ((short)(sequence - _highestSequence) > 0)
        {
            _highestSequence = sequence;
            _lastSentTicks = nowTicks;
        }
        if ((int)(timestamp - _highestTimestamp) > 0)
        {
            _highestTimestamp = timestamp;
        }
        WriteHeader(packet, payloadType, sequence, timestamp);
    }

    /// <summary>Rewrites a cached packet exactly as it was first sent to the receiver (same sequence number), for a resend.</summary>
    public void RewriteResend(Span<byte> packet, ushort receiverSequence, uint sourceTimestamp, byte payloadType) =>
        WriteHeader(packet, payloadType, receiverSequence, sourceTimestamp + _timestampOffset);

    private void WriteHeader(Span<byte> packet, byte payloadType, ushort sequence, uint timestamp)
    {
        RtpHeader.SetPayloadType(packet, payloadType);
        RtpHeader.SetSequenceNumber(packet, sequence);
        RtpHeader.SetTimestamp(packet, timestamp);
        RtpHeader.SetSsrc(packet, Ssrc);
    }
}
