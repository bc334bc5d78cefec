using System.Buffers.Binary;

namespace MediaServer.Codecs.Stun;

/// <summary>
/// Walks every attribute of a message in wire order, including any that RFC 8489 §14.5 says to ignore because they
/// follow MESSAGE-INTEGRITY. Use it in <c>foreach</c>; it does not allocate.
/// </summary>
public ref struct StunAttributeEnumerator
{
    private readonly ReadOnlySpan<byte> _message;
    private int _next;
    private StunAttribute _current;

    internal StunAttributeEnumerator(ReadOnlySpan<byte> message)
    {
        _message = message;
        _next = StunMessage.HeaderLength;
        _current = default;
    }

    public readonly StunAttribute Current => _current;

    public readonly StunAttributeEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        // The message was validated by TryParse; the bounds checks only keep a default enumerator harmless.
        if (_next + 4 > _message.Length)
        {
            return false;
        }

        int offset = _next;
        var type = (StunAttributeType)BinaryPrimitives.ReadUInt16BigEndian(_message[offset..]);
        int length = BinaryPrimitives.ReadUInt16BigEndian(_message[(offset + 2)..]);
        if (offset + 4 + length > _message.Length)
        {
            return false;
        }

        _current = new StunAttribute(type, _message.Slice(offset + 4, length), offset);
        _next = offset + 4 + StunMessage.Pad(length);
        return true;
    }
}
