namespace MediaServer.Codecs.Rtcp;

/// <summary>
/// Iterates the packets of a compound RTCP datagram (RFC 3550 §6.1). Stops with <see cref="Error"/> set at the first
/// packet that cannot be framed (wrong version, a length past the datagram, bad padding, trailing bytes too short
/// for a header); packets before it have been yielded and are valid. Every packet is at least 4 bytes, so the walk
/// always advances.
/// </summary>
public ref struct RtcpCompoundReader
{
    private readonly ReadOnlySpan<byte> _datagram;
    private int _offset;
    private RtcpPacket _current;

    public RtcpCompoundReader(ReadOnlySpan<byte> datagram)
    {
        _datagram = datagram;
        _offset = 0;
        _current = default;
        Error = false;
    }

    public readonly RtcpPacket Current => _current;

    /// <summary>True when iteration stopped on a malformed packet rather than at the end of the datagram.</summary>
    public bool Error { get; private set; }

    public readonly RtcpCompoundReader GetEnumerator() => this;

    public bool MoveNext()
    {
        if (Error || _offset >= _datagram.Length)
        {
            return false;
        }

        if (!RtcpPacket.TryRead(_datagram[_offset..], out _current))
        {
            Error = true;
            _offset = _datagram.Length;
            return false;
        }

        _offset += _current.Length;
        return true;
    }

    /// <summary>True when every packet of the datagram frames cleanly and there is at least one.</summary>
    public static bool IsWellFormed(ReadOnlySpan<byte> datagram)
    {
        var reader = new RtcpCompoundReader(datagram);
        int count = 0;
        while (reader.MoveNext())
        {
            count++;
        }

        return count > 0 && !reader.Error;
    }
}
