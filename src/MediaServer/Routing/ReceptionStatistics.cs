using System.Diagnostics;

namespace MediaServer.Routing;

/// <summary>
/// Loss and interarrival jitter of one incoming stream, kept the way a receiver report would (RFC 3550 §6.4.1, A.1, A.8).
/// Written by the one receive loop of the stream; read racily by the API.
/// </summary>
public sealed class ReceptionStatistics
{
    private const int MaxDropout = 3000;
    private const int MaxMisorder = 100;
    private bool _started;
    private ushort _maxSeq;
    private uint _cycles;
    private uint _baseSeq;
    private long _received;
    private double _jitter;
    private uint _lastTransit;
    private bool _haveTransit;
    private uint _ssrc;

    public long Received => Volatile.Read(ref _received);

    /// <summary>Packets expected from the sequence numbers seen (extended highest − first + 1).</summary>
    public long Expected => _started ? (long)((ulong)_cycles + _maxSeq) - _baseSeq + 1 : 0;

    public long Lost => Math.Max(0, Expected - Received);

    /// <summary>The extended highest sequence number received (RFC 3550 §6.4.1): cycles in the high 16 bits.</summary>
    public uint ExtendedHighest => _cycles + _maxSeq;

    public uint Ssrc => _ssrc;

    private long _expectedPrior;
    private long _receivedPrior;

    /// <summary>
    /// The fraction lost since the last call, as the 8-bit fixed point of a report block (RFC 3550 A.3). Called by the one
    /// reporter of this stream.
    /// </summary>
    public byte TakeFractionLost()
    {
        var expected = Expected;
        var received = Received;
        var expectedInterval = expected - _expectedPrior;
        var receivedInterval = received - _receivedPrior;
        _expectedPrior = expected;
        _receivedPrior = received;
        var lostInterval = expectedInterval - receivedInterval;
        return expectedInterval <= 0 || lostInterval <= 0 ? (byte)0 : (byte)Math.Min(255, (lostInterval << 8) / expectedInterval);
    }

    /// <summary>Interarrival jitter in timestamp units.</summary>
    public double Jitter => _jitter;

    public void Update(ushort sequence, uint rtpTimestamp, uint ssrc, int clockRate, long arrivalTicks)
    {
        if (!_started || ssrc != _ssrc)
        {
            // A new sender (or a restart): statistics describe the current source only (RFC 3550 §8.2).
            _started = true;
            _ssrc = ssrc;
            _maxSeq = sequence;
            _baseSeq = sequence;
            _cycles = 0;
            _received = 0;
            _jitter = 0;
            _haveTransit = false;
        }
        else
        {
            var delta = (ushort)(sequence - _maxSeq);
            if (delta < MaxDropout)
            {
                if (sequence < _maxSeq)
                {
                    _cycles += 1 << 16;
                }
                _maxSeq = sequence;
            }
            else if (delta <= (1 << 16) - MaxMisorder)
            {
                // A large jump: treat as a restart of the sequence space.
                _maxSeq = sequence;
                _baseSeq = sequence;
                _cycles = 0;
                _received = 0;
            }
        }
        Volatile.Write(ref _received, _received + 1);

        // RFC 3550 A.8: J += (|D| − J) / 16, with arrival expressed in the stream's clock.
        // Unsigned arithmetic so that the RTP timestamp's wrap-around cancels out.
        var arrival = (uint)(ulong)(arrivalTicks * (double)clockRate / Stopwatch.Frequency);
        var transit = arrival - rtpTimestamp;
        if (_haveTransit)
        {
            var d = Math.Abs((double)(int)(transit - _lastTransit));
            _jitter += (d - _jitter) / 16.0;
        }
        _lastTransit = transit;
        _haveTransit = true;
    }
}
