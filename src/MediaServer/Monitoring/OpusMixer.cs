using Concentus;
using Concentus.Enums;

namespace MediaServer.Monitoring;

/// <summary>
/// Mixes several Opus streams into one (issue 5, mixed-audio taps): each input's packets wait in a small queue, and
/// <see cref="MixFrame"/>, called every 20 ms by one thread, decodes 20 ms of each input at 48 kHz, sums them with clipping and
/// encodes the sum as one Opus frame. A missing packet is concealed by the decoder (RFC 6716 §4.4, packet loss concealment)
/// while the input is active, and is silence once it has been quiet for <see cref="ConcealFrames"/> frames.
/// <para>
/// <see cref="Push"/> is called on the relay's receive loops (one per input at a time) and only copies the payload into a
/// preallocated slot under that input's lock; decoding and encoding never run on the relay path.
/// </para>
/// </summary>
public sealed class OpusMixer : IDisposable
{
    public const int SampleRate = 48000;

    /// <summary>20 ms at 48 kHz: the mixer's frame.</summary>
    public const int FrameSamples = 960;

    /// <summary>
    /// Packets held per input (1.28 s): the jitter buffer. Senders do not all pace their audio: FFmpeg's RTP muxer sends it in
    /// bursts of about half a second, and an 8-packet queue lost two thirds of such a party's audio. More than this means the
    /// sender runs ahead, and the oldest go.
    /// </summary>
    public const int QueueDepth = 64;

    /// <summary>Largest Opus payload kept (RFC 6716 §3.4 allows up to 1275 bytes per frame; RTP payloads stay under an MTU).</summary>
    public const int MaxPayload = 1500;

    /// <summary>An input silent for longer than this many frames is treated as absent rather than concealed.</summary>
    public const int ConcealFrames = 5;

    // RFC 6716 §2: the longest Opus packet is 120 ms.
    private const int MaxPacketSamples = 5760;

    private readonly Input[] _inputs;
    private readonly IOpusEncoder _encoder;
    private readonly short[] _mix = new short[FrameSamples];
    private readonly short[] _frame = new short[FrameSamples];
    private readonly int[] _sum = new int[FrameSamples];

    public OpusMixer(int inputs, int bitrate = 32000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs, 1);
        _inputs = new Input[inputs];
        for (var i = 0; i < inputs; i++)
        {
            _inputs[i] = new Input();
        }
        _encoder = OpusCodecFactory.CreateEncoder(SampleRate, 1, OpusApplication.OPUS_APPLICATION_VOIP);
        _encoder.Bitrate = bitrate;
    }

    public int InputCount => _inputs.Length;

    private long _dropped;
    private long _concealed;
    private long _frames;

    /// <summary>Packets dropped because an input's queue was full or the payload was too large or not decodable.</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Frames of an input filled by the decoder's loss concealment.</summary>
    public long Concealed => Volatile.Read(ref _concealed);

    /// <summary>Mixed frames produced.</summary>
    public long Frames => Volatile.Read(ref _frames);

    /// <summary>Queues one RTP payload of input <paramref name="input"/>. Copies; never blocks for long; no allocation.</summary>
    public void Push(int input, ushort sequence, ReadOnlySpan<byte> payload)
    {
        if ((uint)input >= (uint)_inputs.Length || payload.IsEmpty || payload.Length > MaxPayload)
        {
            Interlocked.Increment(ref _dropped);
            return;
        }
        if (!_inputs[input].Enqueue(sequence, payload))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>
    /// Produces the next 20 ms: decodes each input (or conceals its loss), sums with clipping, encodes one Opus frame into
    /// <paramref name="output"/>. Returns the encoded length, or 0 when no input has been heard for a while (nothing to send).
    /// One caller at a time.
    /// </summary>
    public int MixFrame(Span<byte> output)
    {
        var mixed = MixPcm(_mix);
        if (!mixed)
        {
            return 0;
        }
        Interlocked.Increment(ref _frames);
        return _encoder.Encode(_mix, FrameSamples, output, output.Length);
    }

    /// <summary>The PCM half of <see cref="MixFrame"/>: false when every input is absent.</summary>
    internal bool MixPcm(Span<short> mix)
    {
        Array.Clear(_sum);
        var any = false;
        foreach (var input in _inputs)
        {
            if (!input.Take(_frame, ref _concealed, ref _dropped))
            {
                continue;
            }
            any = true;
            for (var i = 0; i < FrameSamples; i++)
            {
                _sum[i] += _frame[i];
            }
        }
        if (!any)
        {
            return false;
        }
        for (var i = 0; i < FrameSamples; i++)
        {
            mix[i] = (short)Math.Clamp(_sum[i], short.MinValue, short.MaxValue);
        }
        return true;
    }

    public void Dispose()
    {
        (_encoder as IDisposable)?.Dispose();
        foreach (var input in _inputs)
        {
            input.Dispose();
        }
    }

    /// <summary>One party's queue, decoder and decoded-but-unmixed samples.</summary>
    private sealed class Input : IDisposable
    {
        private readonly Lock _lock = new();
        private readonly byte[][] _payloads = new byte[QueueDepth][];
        private readonly int[] _lengths = new int[QueueDepth];
        private readonly ushort[] _sequences = new ushort[QueueDepth];
        private int _head;
        private int _count;

        // Mixer thread only.
        private readonly IOpusDecoder _decoder = OpusCodecFactory.CreateDecoder(SampleRate, 1);
        private readonly byte[] _packet = new byte[MaxPayload];
        private readonly short[] _pcm = new short[2 * MaxPacketSamples];
        private int _pcmCount;
        private ushort _expected;
        private bool _started;
        private int _quietFrames = int.MaxValue;

        public Input()
        {
            for (var i = 0; i < QueueDepth; i++)
            {
                _payloads[i] = new byte[MaxPayload];
            }
        }

        public bool Enqueue(ushort sequence, ReadOnlySpan<byte> payload)
        {
            lock (_lock)
            {
                var full = _count == QueueDepth;
                if (full)
                {
                    // Keep the newest: a listener wants to hear what is said now, not catch up.
                    _head = (_head + 1) % QueueDepth;
                    _count--;
                }
                var slot = (_head + _count) % QueueDepth;
                payload.CopyTo(_payloads[slot]);
                _lengths[slot] = payload.Length;
                _sequences[slot] = sequence;
                _count++;
                return !full;
            }
        }

        /// <summary>Takes the next packet in sequence order, if queued: (length, sequence) or length 0.</summary>
        private int Dequeue(out ushort sequence)
        {
            lock (_lock)
            {
                if (_count == 0)
                {
                    sequence = 0;
                    return 0;
                }
                var length = _lengths[_head];
                sequence = _sequences[_head];
                _payloads[_head].AsSpan(0, length).CopyTo(_packet);
                _head = (_head + 1) % QueueDepth;
                _count--;
                return length;
            }
        }

        private ushort? PeekSequence()
        {
            lock (_lock)
            {
                return _count == 0 ? null : _sequences[_head];
            }
        }

        /// <summary>Fills <paramref name="frame"/> with the input's next samples; false when the input is absent.</summary>
        public bool Take(Span<short> frame, ref long concealed, ref long dropped)
        {
            var samples = frame.Length;
            while (_pcmCount < samples)
            {
                var next = PeekSequence();
                var gap = next is { } sequence ? (short)(sequence - _expected) : 0;
                if (_started && _quietFrames == 0 && gap > 0 && gap <= QueueDepth)
                {
                    // RFC 3550 §A.1: a gap before the queued packet is a loss; conceal one frame of it and keep the packet.
                    // (A packet that was simply late was concealed already when its turn came and the queue was empty.)
                    Conceal(samples, ref concealed);
                    _expected++;
                    continue;
                }
                var length = Dequeue(out var got);
                if (length == 0)
                {
                    break;
                }
                if (_started && (short)(got - _expected) < 0)
                {
                    Interlocked.Increment(ref dropped); // Late or duplicate: its moment has passed.
                    continue;
                }
                _started = true;
                _expected = (ushort)(got + 1);
                int decoded;
                try
                {
                    decoded = _decoder.Decode(_packet.AsSpan(0, length), _pcm.AsSpan(_pcmCount, MaxPacketSamples), MaxPacketSamples);
                }
                catch (Exception e) when (e is OpusException or ArgumentException or IndexOutOfRangeException)
                {
                    // A corrupt packet is a loss, not a crash.
                    Interlocked.Increment(ref dropped);
                    continue;
                }
                _pcmCount += Math.Max(0, decoded);
                _quietFrames = 0;
            }
            if (_pcmCount < samples)
            {
                if (_quietFrames >= ConcealFrames)
                {
                    _pcmCount = 0;
                    return false;
                }
                _quietFrames++;
                Conceal(samples - _pcmCount, ref concealed);
            }
            _pcm.AsSpan(0, samples).CopyTo(frame);
            _pcmCount -= samples;
            if (_pcmCount > 0)
            {
                // What a packet longer than 20 ms left over goes first next time.
                _pcm.AsSpan(samples, _pcmCount).CopyTo(_pcm);
            }
            return true;
        }

        private void Conceal(int samples, ref long concealed)
        {
            // PLC works in multiples of 10 ms (480 samples); round up and keep the surplus for the next frame.
            var length = (samples + 479) / 480 * 480;
            try
            {
                var made = _decoder.Decode(ReadOnlySpan<byte>.Empty, _pcm.AsSpan(_pcmCount, length), length);
                _pcmCount += Math.Max(0, made);
            }
            catch (Exception e) when (e is OpusException or ArgumentException or IndexOutOfRangeException)
            {
                _pcm.AsSpan(_pcmCount, length).Clear();
                _pcmCount += length;
            }
            Interlocked.Increment(ref concealed);
        }

        public void Dispose() => (_decoder as IDisposable)?.Dispose();
    }
}
