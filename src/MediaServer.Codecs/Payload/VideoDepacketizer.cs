using MediaServer.Codecs.Rtp;

namespace MediaServer.Codecs.Payload;

/// <summary>
/// Turns one video stream's RTP packets, given in sequence order (with gaps where packets were lost), into whole frames.
/// A frame is the payloads of one RTP timestamp up to the packet with the marker bit (RFC 3550 §5.1; RFC 7741 §4.1,
/// RFC 6184 §5.1). A frame missing any packet is dropped, and after any loss frames are dropped until the next keyframe
/// that arrives whole: a decoder given a frame whose reference is gone shows garbage until then.
/// </summary>
/// <remarks>
/// Call <see cref="Push"/> per packet; when it returns true, <see cref="Frame"/> holds the frame until the next call.
/// Packets that come late (a sequence number at or before one already pushed) are discarded: sort before pushing.
/// One instance per RTP stream (SSRC); call <see cref="Reset"/> when the stream restarts.
/// </remarks>
public abstract class VideoDepacketizer
{
    /// <summary>No real frame comes near this; a stream that claims more is treated as damaged.</summary>
    public const int MaxFrameLength = 8 << 20;

    private byte[] _buffer = new byte[64 * 1024];
    private int _length;
    private bool _haveSequence;
    private ushort _lastSequence;
    private uint _lastTimestamp;
    private bool _frameActive;
    private bool _frameBroken;
    private bool _needKeyframe = true;

    /// <summary>The frame completed by the last <see cref="Push"/> that returned true.</summary>
    public ReadOnlySpan<byte> Frame => _buffer.AsSpan(0, _length);

    /// <summary>The RTP timestamp of <see cref="Frame"/>.</summary>
    public uint FrameTimestamp { get; private set; }

    /// <summary>True when <see cref="Frame"/> can be decoded without any frame before it.</summary>
    public bool FrameIsKeyframe { get; private set; }

    public long FramesCompleted { get; private set; }

    /// <summary>Frames not emitted: incomplete, damaged, or waiting for a keyframe after a loss.</summary>
    public long FramesDropped { get; private set; }

    /// <summary>Packets missing from the sequence.</summary>
    public long PacketsLost { get; private set; }

    /// <summary>Packets not used: unparseable, late, duplicated.</summary>
    public long PacketsDiscarded { get; private set; }

    /// <summary>Forgets the stream: the next packet starts afresh and the next emitted frame is a keyframe.</summary>
    public void Reset()
    {
        _haveSequence = false;
        _frameActive = false;
        _frameBroken = false;
        _needKeyframe = true;
        _length = 0;
        ResetCodec();
    }

    /// <summary>Takes the next RTP packet of the stream; true when it completes a frame that can be decoded.</summary>
    public bool Push(ReadOnlySpan<byte> rtpPacket)
    {
        if (!RtpPacket.TryParse(rtpPacket, out var packet))
        {
            PacketsDiscarded++;
            return false;
        }

        ushort sequence = packet.SequenceNumber;
        uint timestamp = packet.Timestamp;
        bool contiguous = false;
        if (_haveSequence)
        {
            int delta = (short)(ushort)(sequence - _lastSequence);
            if (delta <= 0)
            {
                PacketsDiscarded++;
                return false;
            }

            if (delta > 1)
            {
                PacketsLost += delta - 1;

                // The missing packets may have held a whole frame that later frames reference.
                _needKeyframe = true;
            }

            contiguous = delta == 1;
        }

        var payload = packet.Payload;
        if (_frameActive && timestamp == FrameTimestamp)
        {
            _frameBroken |= !contiguous;
        }
        else
        {
            if (_frameActive)
            {
                // The previous frame's marker packet never came.
                FramesDropped++;
                _needKeyframe = true;
            }

            // The first packet of a frame is known when the packet before it arrived and belonged to another frame, or
            // when the payload itself says so.
            bool startKnown = (contiguous && _lastTimestamp != timestamp) || IsFrameStart(payload);
            _frameActive = true;
            _frameBroken = !startKnown;
            _length = 0;
            FrameTimestamp = timestamp;
            FrameIsKeyframe = false;
            BeginFrame();
        }

        _haveSequence = true;
        _lastSequence = sequence;
        _lastTimestamp = timestamp;

        if (!_frameBroken && !payload.IsEmpty)
        {
            _frameBroken = !AppendPayload(payload);
        }

        if (!packet.Marker)
        {
            return false;
        }

        _frameActive = false;
        if (_frameBroken || !IsFrameComplete())
        {
            FramesDropped++;
            _needKeyframe = true;
            _length = 0;
            return false;
        }

        FrameIsKeyframe = IsKeyframe();
        if (_needKeyframe && !FrameIsKeyframe)
        {
            FramesDropped++;
            _length = 0;
            return false;
        }

        _needKeyframe = false;
        FramesCompleted++;
        return true;
    }

    /// <summary>True when this payload begins a frame (its first packet), as far as the payload format can tell.</summary>
    protected abstract bool IsFrameStart(ReadOnlySpan<byte> payload);

    /// <summary>A new frame begins: forget per-frame state.</summary>
    protected abstract void BeginFrame();

    /// <summary>Adds one packet's payload to the frame; false when the payload is malformed or out of place.</summary>
    protected abstract bool AppendPayload(ReadOnlySpan<byte> payload);

    /// <summary>Called at the marker: false when the frame is structurally unfinished (a fragment never ended).</summary>
    protected virtual bool IsFrameComplete() => true;

    /// <summary>Called for a complete frame: true when a decoder can start from it.</summary>
    protected abstract bool IsKeyframe();

    protected virtual void ResetCodec()
    {
    }

    /// <summary>The frame so far (for codecs that look back at what they appended).</summary>
    protected ReadOnlySpan<byte> Appended => _buffer.AsSpan(0, _length);

    /// <summary>Appends bytes to the frame; false when the frame would exceed <see cref="MaxFrameLength"/>.</summary>
    protected bool Write(ReadOnlySpan<byte> bytes)
    {
        int needed = _length + bytes.Length;
        if (needed > MaxFrameLength)
        {
            return false;
        }

        if (needed > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Min(MaxFrameLength, Math.Max(needed, _buffer.Length * 2)));
        }

        bytes.CopyTo(_buffer.AsSpan(_length));
        _length = needed;
        return true;
    }
}
