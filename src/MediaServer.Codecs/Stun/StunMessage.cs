using System.Buffers.Binary;

namespace MediaServer.Codecs.Stun;

/// <summary>
/// A validated view of one STUN message (RFC 8489 §5) in one UDP datagram. Nothing is copied: every span points into
/// the datagram. Typed accessors see only the attributes before the first MESSAGE-INTEGRITY or
/// MESSAGE-INTEGRITY-SHA256, because RFC 8489 §14.5–§14.6 tell agents to ignore whatever follows them (other than
/// the integrity attributes and FINGERPRINT) — otherwise anyone could append, say, USE-CANDIDATE to a signed request.
/// </summary>
public readonly ref partial struct StunMessage
{
    /// <summary>Message type, length, magic cookie and transaction id (RFC 8489 §5).</summary>
    public const int HeaderLength = 20;

    /// <summary>RFC 8489 §5: the fixed value that tells STUN from other traffic on the same port.</summary>
    public const uint MagicCookie = 0x2112A442;

    public const int TransactionIdLength = 12;

    private readonly ReadOnlySpan<byte> _datagram;
    private readonly int _ordinaryEnd;

    private StunMessage(ReadOnlySpan<byte> datagram, int ordinaryEnd, int integrity, int integritySha256, int fingerprint)
    {
        _datagram = datagram;
        _ordinaryEnd = ordinaryEnd;
        MessageIntegrityOffset = integrity;
        MessageIntegritySha256Offset = integritySha256;
        FingerprintOffset = fingerprint;
    }

    /// <summary>The whole message (header and attributes) as parsed.</summary>
    public ReadOnlySpan<byte> Datagram => _datagram;

    /// <summary>The 14-bit message type: method and class interleaved (RFC 8489 §5).</summary>
    public ushort MessageType => BinaryPrimitives.ReadUInt16BigEndian(_datagram);

    public StunClass Class => ClassOf(MessageType);

    public StunMethod Method => MethodOf(MessageType);

    /// <summary>The message length field: bytes after the 20-byte header.</summary>
    public int Length => BinaryPrimitives.ReadUInt16BigEndian(_datagram[2..]);

    /// <summary>The 96-bit transaction id (RFC 8489 §5), 12 bytes.</summary>
    public ReadOnlySpan<byte> TransactionId => _datagram.Slice(8, TransactionIdLength);

    /// <summary>Offset of the first MESSAGE-INTEGRITY attribute's header, or -1.</summary>
    public int MessageIntegrityOffset { get; }

    /// <summary>Offset of the MESSAGE-INTEGRITY-SHA256 attribute's header that counts (RFC 8489 §14.6), or -1.</summary>
    public int MessageIntegritySha256Offset { get; }

    /// <summary>Offset of the FINGERPRINT attribute's header (always the last attribute, RFC 8489 §14.7), or -1.</summary>
    public int FingerprintOffset { get; }

    public bool HasMessageIntegrity => MessageIntegrityOffset >= 0;

    public bool HasMessageIntegritySha256 => MessageIntegritySha256Offset >= 0;

    public bool HasFingerprint => FingerprintOffset >= 0;

    /// <summary>Every attribute in wire order, including ignored ones after MESSAGE-INTEGRITY.</summary>
    public StunAttributeEnumerator GetAttributes() => new(_datagram);

    /// <summary>
    /// The attributes the message's integrity covers and RFC 8489 §14.5 lets an agent act on: those before the first
    /// MESSAGE-INTEGRITY / MESSAGE-INTEGRITY-SHA256 (or before FINGERPRINT, or all of them).
    /// </summary>
    public StunAttributeEnumerator GetOrdinaryAttributes() => new(_datagram[.._ordinaryEnd]);

    /// <summary>The first attribute of <paramref name="type"/> among the ordinary attributes (see <see cref="GetOrdinaryAttributes"/>).</summary>
    public bool TryGetAttribute(StunAttributeType type, out ReadOnlySpan<byte> value)
    {
        foreach (StunAttribute attribute in GetOrdinaryAttributes())
        {
            if (attribute.Type == type)
            {
                value = attribute.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>USERNAME (RFC 8489 §14.3) as UTF-8 bytes.</summary>
    public bool TryGetUsername(out ReadOnlySpan<byte> utf8) => TryGetAttribute(StunAttributeType.Username, out utf8);

    /// <summary>SOFTWARE (RFC 8489 §14.14) as UTF-8 bytes.</summary>
    public bool TryGetSoftware(out ReadOnlySpan<byte> utf8) => TryGetAttribute(StunAttributeType.Software, out utf8);

    /// <summary>PRIORITY (RFC 8445 §7.1.1, §16.1): a 32-bit value.</summary>
    public bool TryGetPriority(out uint priority)
    {
        if (TryGetAttribute(StunAttributeType.Priority, out var value) && value.Length == 4)
        {
            priority = BinaryPrimitives.ReadUInt32BigEndian(value);
            return true;
        }

        priority = 0;
        return false;
    }

    /// <summary>USE-CANDIDATE (RFC 8445 §7.1.2, §16.1): an attribute with no value.</summary>
    public bool HasUseCandidate => TryGetAttribute(StunAttributeType.UseCandidate, out _);

    /// <summary>ICE-CONTROLLING (RFC 8445 §7.1.3, §16.1): the sender's 64-bit tie-breaker.</summary>
    public bool TryGetIceControlling(out ulong tieBreaker) => TryGetUInt64(StunAttributeType.IceControlling, out tieBreaker);

    /// <summary>ICE-CONTROLLED (RFC 8445 §7.1.3, §16.1): the sender's 64-bit tie-breaker.</summary>
    public bool TryGetIceControlled(out ulong tieBreaker) => TryGetUInt64(StunAttributeType.IceControlled, out tieBreaker);

    /// <summary>XOR-MAPPED-ADDRESS (RFC 8489 §14.2), un-XORed.</summary>
    public bool TryGetXorMappedAddress(out StunTransportAddress address)
    {
        address = default;
        return TryGetAttribute(StunAttributeType.XorMappedAddress, out var value) &&
            StunXorAddress.TryDecode(value, TransactionId, out address);
    }

    /// <summary>
    /// ERROR-CODE (RFC 8489 §14.8): the code (300–699) from its class and number, and the UTF-8 reason phrase.
    /// </summary>
    public bool TryGetErrorCode(out int code, out ReadOnlySpan<byte> reasonUtf8)
    {
        code = 0;
        reasonUtf8 = default;
        if (!TryGetAttribute(StunAttributeType.ErrorCode, out var value) || value.Length < 4)
        {
            return false;
        }

        int errorClass = value[2] & 0x07;
        int number = value[3];
        if (errorClass is < 3 or > 6 || number > 99)
        {
            return false;
        }

        code = (errorClass * 100) + number;
        reasonUtf8 = value[4..];
        return true;
    }

    /// <summary>The 20-byte HMAC-SHA1 of MESSAGE-INTEGRITY (RFC 8489 §14.5).</summary>
    public bool TryGetMessageIntegrity(out ReadOnlySpan<byte> hmac) =>
        TryGetValueAt(MessageIntegrityOffset, out hmac) && hmac.Length == StunIntegrity.Sha1Length;

    /// <summary>The (possibly truncated, 16–32 bytes) HMAC-SHA256 of MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6).</summary>
    public bool TryGetMessageIntegritySha256(out ReadOnlySpan<byte> hmac) =>
        TryGetValueAt(MessageIntegritySha256Offset, out hmac) && StunIntegrity.IsValidSha256Length(hmac.Length);

    /// <summary>The 32-bit FINGERPRINT value (RFC 8489 §14.7).</summary>
    public bool TryGetFingerprint(out uint fingerprint)
    {
        if (TryGetValueAt(FingerprintOffset, out var value) && value.Length == 4)
        {
            fingerprint = BinaryPrimitives.ReadUInt32BigEndian(value);
            return true;
        }

        fingerprint = 0;
        return false;
    }

    /// <summary>
    /// Parses and validates <paramref name="datagram"/> as one STUN message. Returns false, never throws, unless:
    /// the top two bits are zero, the length field is a multiple of 4 and equals the datagram length − 20, the magic
    /// cookie is 0x2112A442 (RFC 8489 §6.3), every attribute with its padding lies inside the message (§14), and
    /// nothing follows a FINGERPRINT (§14.7).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> datagram, out StunMessage message)
    {
        message = default;
        if (datagram.Length < HeaderLength || (datagram[0] & 0xC0) != 0)
        {
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        if ((length & 3) != 0 || length != datagram.Length - HeaderLength ||
            BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]) != MagicCookie)
        {
            return false;
        }

        int integrity = -1;
        int integritySha256 = -1;
        int fingerprint = -1;
        int ordinaryEnd = -1;
        int offset = HeaderLength;
        while (offset < datagram.Length)
        {
            if (fingerprint >= 0 || datagram.Length - offset < 4)
            {
                return false;
            }

            var type = (StunAttributeType)BinaryPrimitives.ReadUInt16BigEndian(datagram[offset..]);
            int next = offset + 4 + Pad(BinaryPrimitives.ReadUInt16BigEndian(datagram[(offset + 2)..]));
            if (next > datagram.Length)
            {
                return false;
            }

            switch (type)
            {
                case StunAttributeType.MessageIntegrity when ordinaryEnd < 0:
                    integrity = offset;
                    ordinaryEnd = offset;
                    break;

                // RFC 8489 §14.5: MESSAGE-INTEGRITY-SHA256 may follow MESSAGE-INTEGRITY; §14.6: after
                // MESSAGE-INTEGRITY-SHA256 only FINGERPRINT counts, so a later MESSAGE-INTEGRITY is ignored.
                case StunAttributeType.MessageIntegritySha256 when integritySha256 < 0 && (ordinaryEnd < 0 || integrity >= 0):
                    integritySha256 = offset;
                    if (ordinaryEnd < 0)
                    {
                        ordinaryEnd = offset;
                    }

                    break;

                case StunAttributeType.Fingerprint:
                    fingerprint = offset;
                    break;
            }

            offset = next;
        }

        if (ordinaryEnd < 0)
        {
            ordinaryEnd = fingerprint >= 0 ? fingerprint : datagram.Length;
        }

        message = new StunMessage(datagram, ordinaryEnd, integrity, integritySha256, fingerprint);
        return true;
    }

    /// <summary>RFC 8489 §5: C1 is bit 8 and C0 bit 4 of the message type.</summary>
    public static StunClass ClassOf(ushort messageType) => (StunClass)(((messageType >> 7) & 0b10) | ((messageType >> 4) & 0b01));

    /// <summary>RFC 8489 §5: M0–M3 are bits 0–3, M4–M6 bits 5–7, M7–M11 bits 9–13.</summary>
    public static StunMethod MethodOf(ushort messageType) =>
        (StunMethod)((messageType & 0x000F) | ((messageType & 0x00E0) >> 1) | ((messageType & 0x3E00) >> 2));

    /// <summary>The message type for <paramref name="stunClass"/> and <paramref name="method"/> (a 12-bit value).</summary>
    public static ushort MessageTypeOf(StunClass stunClass, StunMethod method)
    {
        int m = (int)method;
        int c = (int)stunClass;
        return (ushort)((m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) | ((c & 0b01) << 4) | ((c & 0b10) << 7));
    }

    /// <summary>RFC 8489 §14: values are padded to a multiple of 4 bytes.</summary>
    internal static int Pad(int length) => (length + 3) & ~3;

    private bool TryGetUInt64(StunAttributeType type, out ulong result)
    {
        if (TryGetAttribute(type, out var value) && value.Length == 8)
        {
            result = BinaryPrimitives.ReadUInt64BigEndian(value);
            return true;
        }

        result = 0;
        return false;
    }

    private bool TryGetValueAt(int offset, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (offset < 0)
        {
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(_datagram[(offset + 2)..]);
        value = _datagram.Slice(offset + 4, length);
        return true;
    }
}
