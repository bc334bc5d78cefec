using System.Buffers.Binary;

namespace MediaServer.Codecs.Rtcp;

/// <summary>One SDES item and the source it describes.</summary>
public readonly ref struct RtcpSdesItem
{
    public RtcpSdesItem(uint ssrc, RtcpSdesItemType type, ReadOnlySpan<byte> value)
    {
        Ssrc = ssrc;
        Type = type;
        Value = value;
    }

    public uint Ssrc { get; }

    public RtcpSdesItemType Type { get; }

    /// <summary>The item's text, UTF-8, not terminated.</summary>
    public ReadOnlySpan<byte> Value { get; }
}

/// <summary>
/// Walks a source description packet (RFC 3550 §6.5): SC chunks, each an SSRC followed by items and ended by one or
/// more null octets up to the next 32-bit boundary. Items of every chunk are yielded flat with their chunk's SSRC.
/// Stops with <see cref="Error"/> on an item or chunk that runs past the packet.
/// </summary>
public ref struct RtcpSdes
{
    private readonly ReadOnlySpan<byte> _packet; // header included, padding excluded, so offsets align to 32 bits
    private int _chunksLeft;
    private int _offset;
    private bool _inChunk;
    private uint _ssrc;
    private RtcpSdesItem _current;

    private RtcpSdes(ReadOnlySpan<byte> packet, int chunkCount)
    {
        _packet = packet;
        _chunksLeft = chunkCount;
        ChunkCount = chunkCount;
        _offset = RtcpPacket.HeaderLength;
        _inChunk = false;
        _ssrc = 0;
        _current = default;
        Error = false;
    }

    public int ChunkCount { get; }

    public readonly RtcpSdesItem Current => _current;

    public bool Error { get; private set; }

    public readonly RtcpSdes GetEnumerator() => this;

    /// <summary>Frames the SDES packet at the start of <paramref name="packet"/>; items are checked as they are read.</summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out RtcpSdes sdes)
    {
        sdes = default;
        if (!RtcpPacket.TryRead(packet, RtcpPacketType.SourceDescription, -1, out var p))
        {
            return false;
        }

        sdes = new RtcpSdes(p.Span[..^p.PaddingLength], p.Count);
        return true;
    }

    public bool MoveNext()
    {
        while (!Error)
        {
            if (!_inChunk)
            {
                if (_chunksLeft == 0)
                {
                    return false;
                }

                if (_offset + 4 > _packet.Length)
                {
                    return Fail();
                }

                _ssrc = BinaryPrimitives.ReadUInt32BigEndian(_packet[_offset..]);
                _offset += 4;
                _chunksLeft--;
                _inChunk = true;
            }

            if (_offset >= _packet.Length)
            {
                return Fail();
            }

            var type = (RtcpSdesItemType)_packet[_offset];
            if (type == RtcpSdesItemType.End)
            {
                // The null item ends the chunk; the next chunk starts at the following 32-bit boundary.
                _offset = (_offset + 4) & ~3;
                _inChunk = false;
                continue;
            }

            if (_offset + 2 > _packet.Length)
            {
                return Fail();
            }

            int length = _packet[_offset + 1];
            if (_offset + 2 + length > _packet.Length)
            {
                return Fail();
            }

            _current = new RtcpSdesItem(_ssrc, type, _packet.Slice(_offset + 2, length));
            _offset += 2 + length;
            return true;
        }

        return false;
    }

    private bool Fail()
    {
        Error = true;
        _current = default;
        return false;
    }

    /// <summary>Finds the first CNAME in the packet.</summary>
    public static bool TryGetCname(ReadOnlySpan<byte> packet, out uint ssrc, out ReadOnlySpan<byte> cname)
    {
        if (TryParse(packet, out var sdes))
        {
            while (sdes.MoveNext())
            {
                if (sdes.Current.Type == RtcpSdesItemType.Cname)
                {
                    ssrc = sdes.Current.Ssrc;
                    cname = sdes.Current.Value;
                    return true;
                }
            }
        }

        ssrc = 0;
        cname = default;
        return false;
    }

    /// <summary>
    /// Writes an SDES packet with one chunk carrying a CNAME (RFC 3550 §6.5.1) of at most 255 UTF-8 bytes.
    /// Returns the bytes written, or 0 when it does not fit.
    /// </summary>
    public static int WriteCname(Span<byte> destination, uint ssrc, ReadOnlySpan<byte> cname)
    {
        if (cname.Length > 255)
        {
            return 0;
        }

        // Header, SSRC, type, length, text, then at least one null octet padded to the 32-bit boundary.
        int length = (RtcpPacket.HeaderLength + 4 + 2 + cname.Length + 1 + 3) & ~3;
        if (length > destination.Length)
        {
            return 0;
        }

        RtcpPacket.WriteHeader(destination, 1, RtcpPacketType.SourceDescription, length);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], ssrc);
        destination[8] = (byte)RtcpSdesItemType.Cname;
        destination[9] = (byte)cname.Length;
        cname.CopyTo(destination[10..]);
        destination[(10 + cname.Length)..length].Clear();
        return length;
    }
}
