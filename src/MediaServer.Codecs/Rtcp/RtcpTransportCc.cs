using System.Buffers.Binary;

namespace MediaServer.Codecs.Rtcp;

/// <summary>Packet status symbols of transport-wide CC feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1.1).</summary>
public enum TransportCcSymbol : byte
{
    NotReceived = 0,

    /// <summary>Received; the receive delta is one unsigned byte (0..63.75 ms).</summary>
    SmallDelta = 1,

    /// <summary>Received; the receive delta is two signed bytes (negative or large).</summary>
    LargeDelta = 2,
}

/// <summary>What the feedback says about one transport-wide sequence number.</summary>
/// <param name="SequenceNumber">Transport-wide sequence number (base + index, modulo 2^16).</param>
/// <param name="Symbol">Whether it arrived and how its delta is coded.</param>
/// <param name="DeltaTicks">Arrival time minus the previous received packet's (or the reference time), in 250 µs ticks; 0 when not received.</param>
public readonly record struct TransportCcPacketStatus(ushort SequenceNumber, TransportCcSymbol Symbol, int DeltaTicks)
{
    public bool IsReceived => Symbol != TransportCcSymbol.NotReceived;
}

/// <summary>
/// Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1): RTPFB FMT 15.
/// FCI: base sequence number, packet status count, 24-bit signed reference time (×64 ms), feedback packet count,
/// then packet status chunks (run-length, or status vectors of 1-bit or 2-bit symbols), then one receive delta per
/// received packet. <see cref="TryParse"/> checks that chunks and deltas cover the status count and fit.
/// </summary>
public readonly ref struct RtcpTransportCc
{
    private const int FixedFciLength = 8;
    public const int TickMicroseconds = 250;
    public const int ReferenceTimeMilliseconds = 64;

    private readonly ReadOnlySpan<byte> _chunks;
    private readonly ReadOnlySpan<byte> _deltas;

    private RtcpTransportCc(uint senderSsrc, uint mediaSsrc, ReadOnlySpan<byte> fci, ReadOnlySpan<byte> chunks, ReadOnlySpan<byte> deltas)
    {
        SenderSsrc = senderSsrc;
        MediaSsrc = mediaSsrc;
        BaseSequenceNumber = BinaryPrimitives.ReadUInt16BigEndian(fci);
        PacketStatusCount = BinaryPrimitives.ReadUInt16BigEndian(fci[2..]);
        ReferenceTime = ((fci[4] << 24) | (fci[5] << 16) | (fci[6] << 8)) >> 8; // sign-extend 24 bits
        FeedbackPacketCount = fci[7];
        _chunks = chunks;
        _deltas = deltas;
    }

    public uint SenderSsrc { get; }

    public uint MediaSsrc { get; }

    public ushort BaseSequenceNumber { get; }

    public int PacketStatusCount { get; }

    /// <summary>Reference time in multiples of 64 ms, signed 24-bit.</summary>
    public int ReferenceTime { get; }

    /// <summary>Counts feedback packets so a sender can notice lost feedback.</summary>
    public byte FeedbackPacketCount { get; }

    /// <summary>Every packet status in sequence order, with its receive delta.</summary>
    public PacketStatusEnumerator GetPacketStatuses() => new(_chunks, _deltas, BaseSequenceNumber, PacketStatusCount);

    public static bool TryParse(ReadOnlySpan<byte> packet, out RtcpTransportCc feedback)
    {
        feedback = default;
        if (!RtcpFeedback.TryRead(
                packet, RtcpPacketType.TransportFeedback, RtcpFeedbackFormat.TransportWideCc, out uint sender, out uint media, out var fci)
            || fci.Length < FixedFciLength)
        {
            return false;
        }

        int remaining = BinaryPrimitives.ReadUInt16BigEndian(fci[2..]);
        int offset = FixedFciLength;
        int deltaBytes = 0;
        while (remaining > 0)
        {
            if (offset + 2 > fci.Length)
            {
                return false;
            }

            ushort chunk = BinaryPrimitives.ReadUInt16BigEndian(fci[offset..]);
            offset += 2;
            int symbols = Math.Min(SymbolCount(chunk), remaining);
            for (int i = 0; i < symbols; i++)
            {
                int symbol = SymbolAt(chunk, i);
                if (symbol == 3)
                {
                    return false; // §3.1.1: "11" is reserved
                }

                deltaBytes += symbol;
            }

            remaining -= symbols;
        }

        if (offset + deltaBytes > fci.Length)
        {
            return false;
        }

        feedback = new RtcpTransportCc(sender, media, fci, fci[FixedFciLength..offset], fci.Slice(offset, deltaBytes));
        return true;
    }

    /// <summary>§3.1.3: T=0 run length (13 bits), T=1 S=0 fourteen 1-bit symbols, T=1 S=1 seven 2-bit symbols.</summary>
    private static int SymbolCount(ushort chunk) =>
        (chunk & 0x8000) == 0 ? chunk & 0x1FFF : (chunk & 0x4000) == 0 ? 14 : 7;

    /// <summary>The symbol at <paramref name="index"/>; its value is also the size of its receive delta in bytes.</summary>
    private static int SymbolAt(ushort chunk, int index)
    {
        if ((chunk & 0x8000) == 0)
        {
            return (chunk >> 13) & 0x03;
        }

        return (chunk & 0x4000) == 0
            ? (chunk >> (13 - index)) & 0x01
            : (chunk >> (12 - (2 * index))) & 0x03;
    }

    /// <summary>
    /// Writes transport-wide CC feedback for consecutive sequence numbers starting at <paramref name="baseSequenceNumber"/>:
    /// <paramref name="statuses"/>[i] describes base + i (its own SequenceNumber is not consulted). Received packets get a
    /// small delta when 0..255 ticks fit, a large one otherwise; a delta outside −32768..32767 ticks cannot be encoded.
    /// Runs of 14 or more equal symbols become run-length chunks, others status vectors.
    /// Returns the bytes written (padded to 32 bits with zero bytes), or 0 when it does not fit or cannot be encoded.
    /// </summary>
    public static int Write(
        Span<byte> destination,
        uint senderSsrc,
        uint mediaSsrc,
        ushort baseSequenceNumber,
        int referenceTime,
        byte feedbackPacketCount,
        ReadOnlySpan<TransportCcPacketStatus> statuses)
    {
        if (statuses.IsEmpty || statuses.Length > ushort.MaxValue || referenceTime < -0x800000 || referenceTime > 0x7FFFFF)
        {
            return 0;
        }

        int deltaBytes = 0;
        foreach (var status in statuses)
        {
            if (status.IsReceived && (status.DeltaTicks < short.MinValue || status.DeltaTicks > short.MaxValue))
            {
                return 0;
            }

            deltaBytes += SymbolOf(status);
        }

        int chunkBytes = WriteChunks(statuses, default);
        int length = (RtcpFeedback.FixedLength + FixedFciLength + chunkBytes + deltaBytes + 3) & ~3;
        if (length > destination.Length || length > 4 * (ushort.MaxValue + 1))
        {
            return 0;
        }

        RtcpFeedback.WriteHeader(destination, RtcpFeedbackFormat.TransportWideCc, RtcpPacketType.TransportFeedback, length, senderSsrc, mediaSsrc);
        var fci = destination[RtcpFeedback.FixedLength..length];
        BinaryPrimitives.WriteUInt16BigEndian(fci, baseSequenceNumber);
        BinaryPrimitives.WriteUInt16BigEndian(fci[2..], (ushort)statuses.Length);
        fci[4] = (byte)(referenceTime >> 16);
        fci[5] = (byte)(referenceTime >> 8);
        fci[6] = (byte)referenceTime;
        fci[7] = feedbackPacketCount;
        int offset = FixedFciLength + WriteChunks(statuses, fci[FixedFciLength..]);
        foreach (var status in statuses)
        {
            switch (SymbolOf(status))
            {
                case 1:
                    fci[offset++] = (byte)status.DeltaTicks;
                    break;
                case 2:
                    BinaryPrimitives.WriteInt16BigEndian(fci[offset..], (short)status.DeltaTicks);
                    offset += 2;
                    break;
            }
        }

        fci[offset..].Clear();
        return length;
    }

    private static int SymbolOf(in TransportCcPacketStatus status) =>
        !status.IsReceived ? 0 : status.DeltaTicks is >= 0 and <= 255 ? 1 : 2;

    /// <summary>Encodes the status chunks; with an empty <paramref name="destination"/> only measures them.</summary>
    private static int WriteChunks(ReadOnlySpan<TransportCcPacketStatus> statuses, Span<byte> destination)
    {
        int written = 0;
        int i = 0;
        while (i < statuses.Length)
        {
            int symbol = SymbolOf(statuses[i]);
            int run = 1;
            while (i + run < statuses.Length && run < 0x1FFF && SymbolOf(statuses[i + run]) == symbol)
            {
                run++;
            }

            ushort chunk;
            int covered;
            if (run >= 14)
            {
                chunk = (ushort)((symbol << 13) | run);
                covered = run;
            }
            else
            {
                covered = Math.Min(14, statuses.Length - i);
                bool oneBit = true;
                for (int k = 0; k < covered; k++)
                {
                    oneBit &= SymbolOf(statuses[i + k]) <= 1;
                }

                if (oneBit)
                {
                    chunk = 0x8000;
                    for (int k = 0; k < covered; k++)
                    {
                        chunk |= (ushort)(SymbolOf(statuses[i + k]) << (13 - k));
                    }
                }
                else
                {
                    covered = Math.Min(7, statuses.Length - i);
                    chunk = 0xC000;
                    for (int k = 0; k < covered; k++)
                    {
                        chunk |= (ushort)(SymbolOf(statuses[i + k]) << (12 - (2 * k)));
                    }
                }
            }

            if (!destination.IsEmpty)
            {
                BinaryPrimitives.WriteUInt16BigEndian(destination[written..], chunk);
            }

            written += 2;
            i += covered;
        }

        return written;
    }

    /// <summary>Walks status chunks and receive deltas side by side.</summary>
    public ref struct PacketStatusEnumerator
    {
        private readonly ReadOnlySpan<byte> _chunks;
        private readonly ReadOnlySpan<byte> _deltas;
        private readonly int _count;
        private int _index;
        private int _chunkOffset;
        private int _symbolInChunk;
        private int _deltaOffset;
        private ushort _sequenceNumber;
        private TransportCcPacketStatus _current;

        internal PacketStatusEnumerator(ReadOnlySpan<byte> chunks, ReadOnlySpan<byte> deltas, ushort baseSequenceNumber, int count)
        {
            _chunks = chunks;
            _deltas = deltas;
            _count = count;
            _index = 0;
            _chunkOffset = 0;
            _symbolInChunk = 0;
            _deltaOffset = 0;
            _sequenceNumber = baseSequenceNumber;
            _current = default;
        }

        public readonly TransportCcPacketStatus Current => _current;

        public readonly PacketStatusEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            // TryParse has checked that chunks cover the count, symbols are not reserved and deltas fit.
            while (_index < _count)
            {
                ushort chunk = BinaryPrimitives.ReadUInt16BigEndian(_chunks[_chunkOffset..]);
                if (_symbolInChunk >= SymbolCount(chunk))
                {
                    _chunkOffset += 2;
                    _symbolInChunk = 0;
                    continue;
                }

                int symbol = SymbolAt(chunk, _symbolInChunk++);
                int delta = symbol switch
                {
                    1 => _deltas[_deltaOffset],
                    2 => BinaryPrimitives.ReadInt16BigEndian(_deltas[_deltaOffset..]),
                    _ => 0,
                };
                _deltaOffset += symbol;
                _current = new TransportCcPacketStatus(_sequenceNumber++, (TransportCcSymbol)symbol, delta);
                _index++;
                return true;
            }

            return false;
        }
    }
}
