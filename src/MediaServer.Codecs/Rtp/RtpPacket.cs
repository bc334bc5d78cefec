using System.Buffers.Binary;

namespace MediaServer.Codecs.Rtp;

/// <summary>
/// A validated view of one RTP packet (RFC 3550 §5.1). Nothing is copied: every span points into the datagram.
/// </summary>
public readonly ref struct RtpPacket
{
    /// <summary>The fixed header: V/P/X/CC, M/PT, sequence number, timestamp, SSRC.</summary>
    public const int FixedHeaderLength = 12;

    /// <summary>The only RTP version there is (RFC 3550 §5.1).</summary>
    public const int RtpVersion = 2;

    private readonly ReadOnlySpan<byte> _datagram;

    private RtpPacket(ReadOnlySpan<byte> datagram, int headerLength, int extensionOffset, int extensionLength, int paddingLength)
    {
        _datagram = datagram;
        HeaderLength = headerLength;
        ExtensionOffset = extensionOffset;
        ExtensionLength = extensionLength;
        PaddingLength = paddingLength;
    }

    /// <summary>The whole datagram the packet was parsed from.</summary>
    public ReadOnlySpan<byte> Datagram => _datagram;

    /// <summary>Bytes before the payload: fixed header, CSRC list and header extension.</summary>
    public int HeaderLength { get; }

    /// <summary>Padding bytes at the end of the datagram (including the count byte); 0 without the P bit.</summary>
    public int PaddingLength { get; }

    private int ExtensionOffset { get; }

    private int ExtensionLength { get; }

    public int Version => _datagram[0] >> 6;

    public bool HasPadding => (_datagram[0] & 0x20) != 0;

    public bool HasExtension => (_datagram[0] & 0x10) != 0;

    public int CsrcCount => _datagram[0] & 0x0F;

    public bool Marker => (_datagram[1] & 0x80) != 0;

    public byte PayloadType => (byte)(_datagram[1] & 0x7F);

    public ushort SequenceNumber => BinaryPrimitives.ReadUInt16BigEndian(_datagram[2..]);

    public uint Timestamp => BinaryPrimitives.ReadUInt32BigEndian(_datagram[4..]);

    public uint Ssrc => BinaryPrimitives.ReadUInt32BigEndian(_datagram[8..]);

    /// <summary>The 16-bit "defined by profile" field of the header extension; 0 when there is none.</summary>
    public ushort ExtensionProfile =>
        HasExtension ? BinaryPrimitives.ReadUInt16BigEndian(_datagram[(ExtensionOffset - 4)..]) : (ushort)0;

    /// <summary>The header extension's data, after its 4-byte profile/length word; empty when there is none.</summary>
    public ReadOnlySpan<byte> ExtensionData => _datagram.Slice(ExtensionOffset, ExtensionLength);

    /// <summary>The payload, padding excluded.</summary>
    public ReadOnlySpan<byte> Payload => _datagram[HeaderLength..^PaddingLength];

    /// <summary>The CSRC at <paramref name="index"/> (0 ≤ index &lt; <see cref="CsrcCount"/>).</summary>
    public uint GetCsrc(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, CsrcCount);
        return BinaryPrimitives.ReadUInt32BigEndian(_datagram[(FixedHeaderLength + (4 * index))..]);
    }

    /// <summary>Enumerates RFC 8285 elements of the header extension (none when the profile is neither form).</summary>
    public RtpHeaderExtensionEnumerator GetHeaderExtensions() => new(ExtensionProfile, ExtensionData);

    /// <summary>Finds the RFC 8285 header extension element with local identifier <paramref name="id"/>.</summary>
    public bool TryGetHeaderExtension(int id, out ReadOnlySpan<byte> data) =>
        RtpHeaderExtensionEnumerator.TryFind(ExtensionProfile, ExtensionData, id, out data);

    /// <summary>
    /// Parses and validates <paramref name="datagram"/> as an RTP packet. Returns false, never throws, on anything
    /// that is not a well-formed packet: wrong version, or a CSRC list, extension or padding count longer than the datagram.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> datagram, out RtpPacket packet)
    {
        packet = default;
        if (datagram.Length < FixedHeaderLength || datagram[0] >> 6 != RtpVersion)
        {
            return false;
        }

        int headerLength = FixedHeaderLength + (4 * (datagram[0] & 0x0F));
        if (headerLength > datagram.Length)
        {
            return false;
        }

        int extensionOffset = headerLength;
        int extensionLength = 0;
        if ((datagram[0] & 0x10) != 0)
        {
            // RFC 3550 §5.3.1: a 16-bit profile field and a length in 32-bit words that excludes the 4-byte word itself.
            if (headerLength + 4 > datagram.Length)
            {
                return false;
            }

            extensionLength = 4 * BinaryPrimitives.ReadUInt16BigEndian(datagram[(headerLength + 2)..]);
            extensionOffset = headerLength + 4;
            headerLength = extensionOffset + extensionLength;
            if (headerLength > datagram.Length)
            {
                return false;
            }
        }

        int paddingLength = 0;
        if ((datagram[0] & 0x20) != 0)
        {
            // RFC 3550 §5.1: the last octet counts the padding, itself included, so 0 is as invalid as too many.
            paddingLength = datagram[^1];
            if (paddingLength == 0 || paddingLength > datagram.Length - headerLength)
            {
                return false;
            }
        }

        packet = new RtpPacket(datagram, headerLength, extensionOffset, extensionLength, paddingLength);
        return true;
    }
}
