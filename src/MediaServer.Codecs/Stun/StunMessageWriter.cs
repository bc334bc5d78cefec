using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace MediaServer.Codecs.Stun;

/// <summary>
/// Writes one STUN message (RFC 8489 §5, §14) into a caller's buffer. Call <see cref="Begin"/>, add attributes, then
/// optionally <see cref="AddMessageIntegrity"/>, <see cref="AddMessageIntegritySha256"/> and
/// <see cref="AddFingerprint"/>, in that order. After every successful call the buffer holds a complete message of
/// <see cref="BytesWritten"/> bytes with a correct length field. A call that returns false (it does not fit, the value
/// is too long, or it is out of order) changes nothing already written.
/// </summary>
public ref struct StunMessageWriter
{
    // RFC 8489 §14.3: USERNAME is fewer than 509 bytes; §14.8 and §14.14: reason phrase and SOFTWARE fewer than 128
    // characters, which may be up to 763 bytes of UTF-8.
    private const int MaxUsernameBytes = 508;
    private const int MaxTextCharacters = 127;
    private const int MaxTextBytes = 763;

    private readonly Span<byte> _buffer;
    private int _length;
    private Stage _stage;

    public StunMessageWriter(Span<byte> destination)
    {
        _buffer = destination;
        _length = 0;
        _stage = Stage.NotStarted;
    }

    private enum Stage
    {
        NotStarted,
        Attributes,
        AfterIntegrity,
        AfterIntegritySha256,
        AfterFingerprint,
    }

    /// <summary>Bytes of the message so far: header plus attributes. 0 before <see cref="Begin"/>.</summary>
    public readonly int BytesWritten => _length;

    /// <summary>The message so far.</summary>
    public readonly ReadOnlySpan<byte> Written => _buffer[.._length];

    /// <summary>
    /// Starts a message: type from <paramref name="stunClass"/> and <paramref name="method"/>, length 0, the magic
    /// cookie and the 12-byte <paramref name="transactionId"/>. Starting again discards what was written.
    /// </summary>
    public bool Begin(StunClass stunClass, StunMethod method, scoped ReadOnlySpan<byte> transactionId)
    {
        if (_buffer.Length < StunMessage.HeaderLength || transactionId.Length != StunMessage.TransactionIdLength ||
            (ushort)method > 0x0FFF)
        {
            return false;
        }

        BinaryPrimitives.WriteUInt16BigEndian(_buffer, StunMessage.MessageTypeOf(stunClass, method));
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(_buffer[4..], StunMessage.MagicCookie);
        transactionId.CopyTo(_buffer[8..]);
        _length = StunMessage.HeaderLength;
        _stage = Stage.Attributes;
        return true;
    }

    /// <summary>Any attribute, its value padded with zero bytes (RFC 8489 §14).</summary>
    public bool AddAttribute(StunAttributeType type, scoped ReadOnlySpan<byte> value)
    {
        if (!TryReserve(value.Length, out var destination))
        {
            return false;
        }

        value.CopyTo(destination);
        Commit(type, value.Length);
        return true;
    }

    /// <summary>USERNAME (RFC 8489 §14.3) from UTF-8 bytes; fewer than 509 of them.</summary>
    public bool AddUsername(scoped ReadOnlySpan<byte> utf8) =>
        utf8.Length <= MaxUsernameBytes && AddAttribute(StunAttributeType.Username, utf8);

    /// <summary>USERNAME (RFC 8489 §14.3), UTF-8 encoded without allocating.</summary>
    public bool AddUsername(scoped ReadOnlySpan<char> username) => AddText(StunAttributeType.Username, username, int.MaxValue, MaxUsernameBytes);

    /// <summary>SOFTWARE (RFC 8489 §14.14): fewer than 128 characters.</summary>
    public bool AddSoftware(scoped ReadOnlySpan<char> software) => AddText(StunAttributeType.Software, software, MaxTextCharacters, MaxTextBytes);

    /// <summary>PRIORITY (RFC 8445 §7.1.1).</summary>
    public bool AddPriority(uint priority)
    {
        Span<byte> value = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(value, priority);
        return AddAttribute(StunAttributeType.Priority, value);
    }

    /// <summary>USE-CANDIDATE (RFC 8445 §7.1.2): no value.</summary>
    public bool AddUseCandidate() => AddAttribute(StunAttributeType.UseCandidate, default);

    /// <summary>ICE-CONTROLLING with the sender's tie-breaker (RFC 8445 §7.1.3).</summary>
    public bool AddIceControlling(ulong tieBreaker) => AddUInt64(StunAttributeType.IceControlling, tieBreaker);

    /// <summary>ICE-CONTROLLED with the sender's tie-breaker (RFC 8445 §7.1.3).</summary>
    public bool AddIceControlled(ulong tieBreaker) => AddUInt64(StunAttributeType.IceControlled, tieBreaker);

    /// <summary>XOR-MAPPED-ADDRESS (RFC 8489 §14.2), XORed with this message's cookie and transaction id.</summary>
    public bool AddXorMappedAddress(in StunTransportAddress address)
    {
        int valueLength = StunXorAddress.ValueLength(address);
        if (valueLength == 0 || !TryReserve(valueLength, out var destination))
        {
            return false;
        }

        StunXorAddress.Encode(address, _buffer.Slice(8, StunMessage.TransactionIdLength), destination);
        Commit(StunAttributeType.XorMappedAddress, valueLength);
        return true;
    }

    /// <summary>XOR-MAPPED-ADDRESS from an <see cref="IPAddress"/> and port, without allocating.</summary>
    public bool AddXorMappedAddress(IPAddress address, int port) =>
        StunTransportAddress.TryCreate(address, port, out var transportAddress) && AddXorMappedAddress(transportAddress);

    /// <summary>XOR-MAPPED-ADDRESS from a native socket address as a receive call filled it, without allocating.</summary>
    public bool AddXorMappedAddress(SocketAddress socketAddress) =>
        StunTransportAddress.TryCreate(socketAddress, out var transportAddress) && AddXorMappedAddress(transportAddress);

    /// <summary>
    /// ERROR-CODE (RFC 8489 §14.8): <paramref name="code"/> in 300–699 split into class and number, then the reason
    /// phrase (fewer than 128 characters) as UTF-8.
    /// </summary>
    public bool AddErrorCode(int code, scoped ReadOnlySpan<char> reason)
    {
        if (code is < 300 or > 699 || reason.Length > MaxTextCharacters || !TryReserve(4, out _))
        {
            return false;
        }

        Span<byte> destination = _buffer[(_length + 4)..];
        if (!Encoding.UTF8.TryGetBytes(reason, destination[4..], out int reasonBytes) || reasonBytes > MaxTextBytes ||
            !TryReserve(4 + reasonBytes, out _))
        {
            return false;
        }

        destination[0] = 0;
        destination[1] = 0;
        destination[2] = (byte)(code / 100);
        destination[3] = (byte)(code % 100);
        Commit(StunAttributeType.ErrorCode, 4 + reasonBytes);
        return true;
    }

    /// <summary>UNKNOWN-ATTRIBUTES (RFC 8489 §14.9): the types a 420 response refuses.</summary>
    public bool AddUnknownAttributes(scoped ReadOnlySpan<ushort> types)
    {
        if (!TryReserve(2 * types.Length, out var destination))
        {
            return false;
        }

        for (int i = 0; i < types.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[(2 * i)..], types[i]);
        }

        Commit(StunAttributeType.UnknownAttributes, 2 * types.Length);
        return true;
    }

    /// <summary>
    /// MESSAGE-INTEGRITY (RFC 8489 §14.5): HMAC-SHA1 with <paramref name="key"/> (for ICE, the password's UTF-8 bytes)
    /// over the message so far, its length field already counting this attribute. Only once, after the other attributes.
    /// </summary>
    public bool AddMessageIntegrity(scoped ReadOnlySpan<byte> key)
    {
        if (_stage != Stage.Attributes || !TryReserve(StunIntegrity.Sha1Length, out var destination, Stage.Attributes))
        {
            return false;
        }

        int lengthField = _length + 4 + StunIntegrity.Sha1Length - StunMessage.HeaderLength;
        StunIntegrity.Compute(false, key, _buffer[.._length], lengthField, destination);
        Commit(StunAttributeType.MessageIntegrity, StunIntegrity.Sha1Length);
        _stage = Stage.AfterIntegrity;
        return true;
    }

    /// <summary>MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6), untruncated; after MESSAGE-INTEGRITY if both are sent.</summary>
    public bool AddMessageIntegritySha256(scoped ReadOnlySpan<byte> key)
    {
        if (_stage is not (Stage.Attributes or Stage.AfterIntegrity) ||
            !TryReserve(StunIntegrity.Sha256Length, out var destination, _stage))
        {
            return false;
        }

        int lengthField = _length + 4 + StunIntegrity.Sha256Length - StunMessage.HeaderLength;
        StunIntegrity.Compute(true, key, _buffer[.._length], lengthField, destination);
        Commit(StunAttributeType.MessageIntegritySha256, StunIntegrity.Sha256Length);
        _stage = Stage.AfterIntegritySha256;
        return true;
    }

    /// <summary>
    /// FINGERPRINT (RFC 8489 §14.7), the last attribute: CRC-32 of the message so far, with its length field already
    /// counting this attribute, XOR 0x5354554E. Returns false when it does not fit or was already added.
    /// </summary>
    public bool AddFingerprint()
    {
        if (_stage is Stage.NotStarted or Stage.AfterFingerprint || !TryReserve(4, out var destination, _stage))
        {
            return false;
        }

        BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], (ushort)(_length + 8 - StunMessage.HeaderLength));
        uint crc = StunCrc32.Compute(_buffer[.._length]) ^ StunMessage.FingerprintXor;
        BinaryPrimitives.WriteUInt32BigEndian(destination, crc);
        Commit(StunAttributeType.Fingerprint, 4);
        _stage = Stage.AfterFingerprint;
        return true;
    }

    private bool AddText(StunAttributeType type, scoped ReadOnlySpan<char> text, int maxCharacters, int maxBytes)
    {
        if (text.Length > maxCharacters || !TryReserve(0, out _))
        {
            return false;
        }

        Span<byte> destination = _buffer[(_length + 4)..];
        if (!Encoding.UTF8.TryGetBytes(text, destination, out int written) || written > maxBytes || !TryReserve(written, out _))
        {
            return false;
        }

        Commit(type, written);
        return true;
    }

    private bool AddUInt64(StunAttributeType type, ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        return AddAttribute(type, bytes);
    }

    /// <summary>Room for an attribute header and <paramref name="valueLength"/> bytes plus padding, at the given stage.</summary>
    private readonly bool TryReserve(int valueLength, out Span<byte> value, Stage allowedStage = Stage.Attributes)
    {
        value = default;
        int total = _length + 4 + StunMessage.Pad(valueLength);
        if (_stage != allowedStage || valueLength > ushort.MaxValue || total > _buffer.Length ||
            total - StunMessage.HeaderLength > ushort.MaxValue)
        {
            return false;
        }

        value = _buffer.Slice(_length + 4, valueLength);
        return true;
    }

    /// <summary>Writes the attribute header and padding around a value already in place and updates the length field.</summary>
    private void Commit(StunAttributeType type, int valueLength)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[_length..], (ushort)type);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[(_length + 2)..], (ushort)valueLength);
        int padded = StunMessage.Pad(valueLength);
        _buffer.Slice(_length + 4 + valueLength, padded - valueLength).Clear();
        _length += 4 + padded;
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], (ushort)(_length - StunMessage.HeaderLength));
    }
}
