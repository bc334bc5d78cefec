using System.Buffers.Binary;

namespace MediaServer.Codecs.Rtcp;

/// <summary>
/// Generic NACK (RFC 4585 §6.2.1): RTPFB FMT 1. Each FCI entry names a lost packet (PID) and, in the bitmask BLP,
/// which of the 16 packets after it are lost too (bit i set ⇒ PID+i+1 lost).
/// </summary>
public readonly ref struct RtcpGenericNack
{
    private const int EntryLength = 4;
    private readonly ReadOnlySpan<byte> _fci;

    private RtcpGenericNack(uint senderSsrc, uint mediaSsrc, ReadOnlySpan<byte> fci)
    {
        SenderSsrc = senderSsrc;
        MediaSsrc = mediaSsrc;
        _fci = fci;
    }

    public uint SenderSsrc { get; }

    public uint MediaSsrc { get; }

    public int EntryCount => _fci.Length / EntryLength;

    /// <summary>The entry's packet ID and bitmask of following lost packets.</summary>
    public (ushort PacketId, ushort Bitmask) GetEntry(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, EntryCount);
        var entry = _fci[(index * EntryLength)..];
        return (BinaryPrimitives.ReadUInt16BigEndian(entry), BinaryPrimitives.ReadUInt16BigEndian(entry[2..]));
    }

    /// <summary>Every lost sequence number, PID then its BLP bits in order, entry by entry.</summary>
    public LostSequenceNumberEnumerator GetLostSequenceNumbers() => new(_fci);

    /// <summary>Parses a generic NACK; false unless it has at least one entry and only whole entries.</summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out RtcpGenericNack nack)
    {
        nack = default;
        if (!RtcpFeedback.TryRead(
                packet, RtcpPacketType.TransportFeedback, RtcpFeedbackFormat.GenericNack, out uint sender, out uint media, out var fci)
            || fci.IsEmpty
            || fci.Length % EntryLength != 0)
        {
            return false;
        }

        nack = new RtcpGenericNack(sender, media, fci);
        return true;
    }

    /// <summary>
    /// Writes a generic NACK for <paramref name="lostSequenceNumbers"/>, which should be in RTP order (ascending,
    /// modulo 2^16): each entry takes a PID and packs the following 16 numbers into its BLP. Numbers out of order
    /// still get reported, in more entries. Returns the bytes written, or 0 when the list is empty or does not fit.
    /// </summary>
    public static int Write(Span<byte> destination, uint senderSsrc, uint mediaSsrc, ReadOnlySpan<ushort> lostSequenceNumbers)
    {
        if (lostSequenceNumbers.IsEmpty)
        {
            return 0;
        }

        int entries = Pack(lostSequenceNumbers, default);
        int length = RtcpFeedback.FixedLength + (entries * EntryLength);
        if (length > destination.Length || length > 4 * (ushort.MaxValue + 1))
        {
            return 0;
        }

        RtcpFeedback.WriteHeader(destination, RtcpFeedbackFormat.GenericNack, RtcpPacketType.TransportFeedback, length, senderSsrc, mediaSsrc);
        Pack(lostSequenceNumbers, destination[RtcpFeedback.FixedLength..length]);
        return length;
    }

    /// <summary>Counts the entries the list packs into and, when <paramref name="fci"/> is not empty, writes them.</summary>
    private static int Pack(ReadOnlySpan<ushort> lost, Span<byte> fci)
    {
        int entries = 0;
        ushort pid = lost[0];
        ushort blp = 0;
        for (int i = 1; i < lost.Length; i++)
        {
            int distance = (ushort)(lost[i] - pid);
            if (distance == 0)
            {
                continue; // a duplicate of the PID adds nothing
            }

            if (distance <= 16)
            {
                blp |= (ushort)(1 << (distance - 1));
                continue;
            }

            Emit(fci, entries++, pid, blp);
            pid = lost[i];
            blp = 0;
        }

        Emit(fci, entries++, pid, blp);
        return entries;
    }

    private static void Emit(Span<byte> fci, int index, ushort pid, ushort blp)
    {
        if (fci.IsEmpty)
        {
            return;
        }

        BinaryPrimitives.WriteUInt16BigEndian(fci[(index * EntryLength)..], pid);
        BinaryPrimitives.WriteUInt16BigEndian(fci[((index * EntryLength) + 2)..], blp);
    }

    /// <summary>Expands PID+BLP entries into sequence numbers without allocating.</summary>
    public ref struct LostSequenceNumberEnumerator
    {
        private readonly ReadOnlySpan<byte> _fci;
        private int _entry;
        private int _bit; // -1: the PID itself; 0..15: BLP bits
        private ushort _current;

        internal LostSequenceNumberEnumerator(ReadOnlySpan<byte> fci)
        {
            _fci = fci;
            _entry = 0;
            _bit = -2;
            _current = 0;
        }

        public readonly ushort Current => _current;

        public readonly LostSequenceNumberEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            while (_entry * EntryLength < _fci.Length)
            {
                var entry = _fci[(_entry * EntryLength)..];
                ushort pid = BinaryPrimitives.ReadUInt16BigEndian(entry);
                ushort blp = BinaryPrimitives.ReadUInt16BigEndian(entry[2..]);
                _bit++;
                if (_bit == -1)
                {
                    _current = pid;
                    return true;
                }

                while (_bit < 16)
                {
                    if ((blp & (1 << _bit)) != 0)
                    {
                        _current = (ushort)(pid + _bit + 1);
                        return true;
                    }

                    _bit++;
                }

                _entry++;
                _bit = -2;
            }

            return false;
        }
    }
}
