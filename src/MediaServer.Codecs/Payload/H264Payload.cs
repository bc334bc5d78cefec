using System.Buffers.Binary;

namespace MediaServer.Codecs.Payload;

/// <summary>The FU header of an FU-A packet (RFC 6184 §5.8).</summary>
/// <param name="IsStart">S: the first fragment of the NAL unit.</param>
/// <param name="IsEnd">E: the last fragment.</param>
/// <param name="NalUnitType">The fragmented NAL unit's own type.</param>
/// <param name="NalRefIdc">NRI from the FU indicator, which carries the original NAL header's NRI.</param>
public readonly record struct H264FragmentHeader(bool IsStart, bool IsEnd, int NalUnitType, int NalRefIdc);

/// <summary>Looks inside H.264 RTP payloads (RFC 6184) as far as the relay needs: packet structure and keyframes.</summary>
public static class H264Payload
{
    /// <summary>
    /// The type in the payload's first NAL header (RFC 6184 §5.3): 1..23 a single NAL unit, 24 STAP-A, 28 FU-A, …;
    /// -1 for an empty payload.
    /// </summary>
    public static int GetPacketType(ReadOnlySpan<byte> payload) => payload.IsEmpty ? -1 : payload[0] & 0x1F;

    /// <summary>
    /// Reads an FU-A's indicator and header (RFC 6184 §5.8). False when the payload is not an FU-A, has no fragment
    /// data, or sets both S and E (a NAL unit that fits one packet must not be fragmented).
    /// </summary>
    public static bool TryParseFragment(ReadOnlySpan<byte> payload, out H264FragmentHeader header)
    {
        header = default;
        if (payload.Length < 3 || (payload[0] & 0x1F) != H264NalUnitType.FuA)
        {
            return false;
        }

        byte fu = payload[1];
        bool start = (fu & 0x80) != 0;
        bool end = (fu & 0x40) != 0;
        if (start && end)
        {
            return false;
        }

        header = new H264FragmentHeader(start, end, fu & 0x1F, (payload[0] >> 5) & 0x03);
        return true;
    }

    /// <summary>Enumerates the NAL units aggregated in a STAP-A; false when the payload is not a STAP-A.</summary>
    public static bool TryGetStapA(ReadOnlySpan<byte> payload, out H264StapAEnumerator units)
    {
        if (payload.IsEmpty || (payload[0] & 0x1F) != H264NalUnitType.StapA)
        {
            units = default;
            return false;
        }

        units = new H264StapAEnumerator(payload[1..]);
        return true;
    }

    /// <summary>
    /// True when the packet carries an IDR slice (type 5) or an SPS (type 7), or the start of one: a single NAL unit
    /// of that type, a well-formed STAP-A containing one, or an FU-A start fragment of one. A decoder can begin there
    /// (SPS and PPS travel just before the IDR). STAP-B and MTAPs (interleaved mode) are not looked into.
    /// </summary>
    public static bool IsKeyframe(ReadOnlySpan<byte> payload)
    {
        int type = GetPacketType(payload);
        if (type is >= 1 and <= 23)
        {
            return IsKeyframeNal(type);
        }

        if (type == H264NalUnitType.StapA)
        {
            bool found = false;
            TryGetStapA(payload, out var units);
            while (units.MoveNext())
            {
                found |= IsKeyframeNal(units.Current[0] & 0x1F);
            }

            return found && !units.Error;
        }

        return type == H264NalUnitType.FuA
            && TryParseFragment(payload, out var fu)
            && fu.IsStart
            && IsKeyframeNal(fu.NalUnitType);
    }

    private static bool IsKeyframeNal(int type) => type is H264NalUnitType.IdrSlice or H264NalUnitType.Sps;
}

/// <summary>
/// Walks the aggregation units of a STAP-A (RFC 6184 §5.7.1): a 16-bit NAL unit size, then the NAL unit. Stops with
/// <see cref="Error"/> on a size of zero, a size past the end, or a trailing byte too short for a size.
/// </summary>
public ref struct H264StapAEnumerator
{
    private readonly ReadOnlySpan<byte> _units;
    private int _offset;
    private ReadOnlySpan<byte> _current;

    internal H264StapAEnumerator(ReadOnlySpan<byte> units)
    {
        _units = units;
        _offset = 0;
        _current = default;
        Error = false;
    }

    /// <summary>The current NAL unit, header byte first.</summary>
    public readonly ReadOnlySpan<byte> Current => _current;

    public bool Error { get; private set; }

    public readonly H264StapAEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (Error || _offset >= _units.Length)
        {
            return false;
        }

        if (_offset + 2 > _units.Length)
        {
            return Fail();
        }

        int size = BinaryPrimitives.ReadUInt16BigEndian(_units[_offset..]);
        if (size == 0 || size > _units.Length - _offset - 2)
        {
            return Fail();
        }

        _current = _units.Slice(_offset + 2, size);
        _offset += 2 + size;
        return true;
    }

    private bool Fail()
    {
        Error = true;
        _current = default;
        return false;
    }
}
