namespace MediaServer.Codecs.Rtp;

/// <summary>
/// Walks the elements of an RFC 8285 header extension block, in either the one-byte (§4.2) or the two-byte (§4.3)
/// form. Padding bytes are skipped. On an element whose length runs past the block, enumeration stops and
/// <see cref="IsMalformed"/> is set; elements already yielded stay valid.
/// </summary>
public ref struct RtpHeaderExtensionEnumerator
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly int _form; // 1 = one-byte, 2 = two-byte, 0 = not an RFC 8285 block
    private int _offset;
    private RtpHeaderExtension _current;

    public RtpHeaderExtensionEnumerator(ushort profile, ReadOnlySpan<byte> data)
    {
        _data = data;
        _form = RtpHeaderExtensionProfile.IsOneByte(profile) ? 1 : RtpHeaderExtensionProfile.IsTwoByte(profile) ? 2 : 0;
        _offset = 0;
        _current = default;
        IsMalformed = false;
    }

    public readonly RtpHeaderExtension Current => _current;

    /// <summary>True when enumeration stopped at an element whose length does not fit.</summary>
    public bool IsMalformed { get; private set; }

    public readonly RtpHeaderExtensionEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        while (_offset < _data.Length)
        {
            byte first = _data[_offset];
            if (first == 0)
            {
                // RFC 8285 §4.1.1/§4.2/§4.3: zero bytes pad between and after elements.
                _offset++;
                continue;
            }

            int id;
            int length;
            int dataStart;
            if (_form == 1)
            {
                id = first >> 4;
                if (id == 0)
                {
                    // An ID of 0 is padding whatever its length nibble says; the byte carries nothing.
                    _offset++;
                    continue;
                }

                if (id == 15)
                {
                    // RFC 8285 §4.2: ID 15 is reserved and ends processing of the whole block.
                    _offset = _data.Length;
                    return false;
                }

                length = (first & 0x0F) + 1;
                dataStart = _offset + 1;
            }
            else if (_form == 2)
            {
                if (_offset + 2 > _data.Length)
                {
                    return Stop();
                }

                id = first;
                length = _data[_offset + 1];
                dataStart = _offset + 2;
            }
            else
            {
                return false;
            }

            if (length > _data.Length - dataStart)
            {
                return Stop();
            }

            _current = new RtpHeaderExtension(id, _data.Slice(dataStart, length));
            _offset = dataStart + length;
            return true;
        }

        return false;
    }

    private bool Stop()
    {
        IsMalformed = true;
        _offset = _data.Length;
        _current = default;
        return false;
    }

    /// <summary>Finds the first element with local identifier <paramref name="id"/>.</summary>
    public static bool TryFind(ushort profile, ReadOnlySpan<byte> data, int id, out ReadOnlySpan<byte> value)
    {
        var e = new RtpHeaderExtensionEnumerator(profile, data);
        while (e.MoveNext())
        {
            if (e.Current.Id == id)
            {
                value = e.Current.Data;
                return true;
            }
        }

        value = default;
        return false;
    }
}
