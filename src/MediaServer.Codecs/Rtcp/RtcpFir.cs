using System.Buffers.Binary;

namespace MediaServer.Codecs.Rtcp;

/// <summary>One FIR entry (RFC 5104 §4.3.1.1): the source asked for a decoder refresh and the request's sequence number.</summary>
public readonly record struct RtcpFirEntry(uint Ssrc, byte SequenceNumber);

/// <summary>
/// Full intra request (RFC 5104 §4.3.1): PSFB FMT 4. The media SSRC field is unused (0); the targets are the FCI entries,
/// 8 bytes each. A repeated request keeps its sequence number, a new one increments it.
/// </summary>
public readonly ref struct RtcpFir
{
    private const int EntryLength = 8;
    private readonly ReadOnlySpan<byte> _fci;

    private RtcpFir(uint senderSsrc, uint mediaSsrc, ReadOnlySpan<byte> fci)
    {
        SenderSsrc = senderSsrc;
        MediaSsrc = mediaSsrc;
        _fci = fci;
    }

    public uint SenderSsrc { get; }

    public uint MediaSsrc { get; }

    public int EntryCount => _fci.Length / EntryLength;

    public RtcpFirEntry GetEntry(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, EntryCount);
        var entry = _fci[(index * EntryLength)..];
        return new RtcpFirEntry(BinaryPrimitives.ReadUInt32BigEndian(entry), entry[4]);
    }

    /// <summary>Parses a FIR; false unless it has at least one whole entry and nothing but whole entries.</summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out RtcpFir fir)
    {
        fir = default;
        if (!RtcpFeedback.TryRead(
                packet, RtcpPacketType.PayloadFeedback, RtcpFeedbackFormat.FullIntraRequest, out uint sender, out uint media, out var fci)
            || fci.IsEmpty
            || fci.Length % EntryLength != 0)
        {
            return false;
        }

        fir = new RtcpFir(sender, media, fci);
        return true;
    }

    /// <summary>Writes a FIR with the given entries. Returns the bytes written, or 0 when it does not fit or there are none.</summary>
    public static int Write(Span<byte> destination, uint senderSsrc, ReadOnlySpan<RtcpFirEntry> entries)
    {
        int length = RtcpFeedback.FixedLength + (entries.Length * EntryLength);
        if (entries.IsEmpty || length > destination.Length || length > 4 * (ushort.MaxValue + 1))
        {
            return 0;
        }

        RtcpFeedback.WriteHeader(destination, RtcpFeedbackFormat.FullIntraRequest, RtcpPacketType.PayloadFeedback, length, senderSsrc, 0);
        int offset = RtcpFeedback.FixedLength;
        foreach (var entry in entries)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[offset..], entry.Ssrc);
            destination[offset + 4] = entry.SequenceNumber;
            destination.Slice(offset + 5, 3).Clear();
            offset += EntryLength;
        }

        return length;
    }

    /// <summary>Writes a FIR for one source.</summary>
    public static int Write(Span<byte> destination, uint senderSsrc, uint mediaSsrc, byte sequenceNumber) =>
        Write(destination, senderSsrc, [new RtcpFirEntry(mediaSsrc, sequenceNumber)]);
}
