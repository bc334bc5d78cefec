namespace MediaServer.Codecs.Payload;

/// <summary>
/// H.264 access units from RTP in non-interleaved mode (RFC 6184 §5.6 single NAL unit, §5.7.1 STAP-A, §5.8 FU-A) as an
/// Annex B byte stream: each NAL unit preceded by the start code 00 00 00 01, as decoders and IVF/raw .h264 readers take it.
/// </summary>
public sealed class H264Depacketizer : VideoDepacketizer
{
    private static ReadOnlySpan<byte> StartCode => [0x00, 0x00, 0x00, 0x01];

    private bool _inFragment;
    private bool _hasIdr;
    private bool _hasSps;
    private bool _hasPps;

    protected override void BeginFrame()
    {
        _inFragment = false;
        _hasIdr = false;
        _hasSps = false;
        _hasPps = false;
    }

    /// <summary>
    /// An access unit begins with an AUD, SEI or parameter set, or with the slice whose first_mb_in_slice is 0
    /// (H.264 §7.3.3: ue(v) coded, so 0 is a single 1 bit at the start of the slice header).
    /// </summary>
    protected override bool IsFrameStart(ReadOnlySpan<byte> payload)
    {
        int type = H264Payload.GetPacketType(payload);
        if (type is >= 1 and <= 23)
        {
            return IsAccessUnitStart(payload);
        }

        if (type == H264NalUnitType.StapA && H264Payload.TryGetStapA(payload, out var units) && units.MoveNext())
        {
            return IsAccessUnitStart(units.Current);
        }

        if (type == H264NalUnitType.FuA && H264Payload.TryParseFragment(payload, out var fu) && fu.IsStart)
        {
            return fu.NalUnitType is H264NalUnitType.NonIdrSlice or H264NalUnitType.IdrSlice
                ? (payload[2] & 0x80) != 0
                : fu.NalUnitType is H264NalUnitType.Sei or H264NalUnitType.Sps or H264NalUnitType.Pps
                    or H264NalUnitType.AccessUnitDelimiter;
        }

        return false;
    }

    private static bool IsAccessUnitStart(ReadOnlySpan<byte> nal)
    {
        int type = nal[0] & 0x1F;
        return type switch
        {
            H264NalUnitType.NonIdrSlice or H264NalUnitType.IdrSlice => nal.Length > 1 && (nal[1] & 0x80) != 0,
            H264NalUnitType.Sei or H264NalUnitType.Sps or H264NalUnitType.Pps or H264NalUnitType.AccessUnitDelimiter => true,
            _ => false,
        };
    }

    protected override bool AppendPayload(ReadOnlySpan<byte> payload)
    {
        int type = H264Payload.GetPacketType(payload);
        if (type == H264NalUnitType.FuA)
        {
            return AppendFragment(payload);
        }

        if (_inFragment)
        {
            return false; // a fragmented NAL unit never got its end fragment
        }

        if (type is >= 1 and <= 23)
        {
            return AppendNal(payload);
        }

        if (type == H264NalUnitType.StapA)
        {
            H264Payload.TryGetStapA(payload, out var units);
            while (units.MoveNext())
            {
                if (!AppendNal(units.Current))
                {
                    return false;
                }
            }

            return !units.Error;
        }

        // RFC 6184 §5.2: types 0, 30 and 31 are undefined and ignored; STAP-B, MTAPs and FU-B belong to the interleaved
        // mode, which WebRTC and the senders here do not use, so a frame carrying them cannot be rebuilt.
        return type is 0 or 30 or 31;
    }

    private bool AppendFragment(ReadOnlySpan<byte> payload)
    {
        if (!H264Payload.TryParseFragment(payload, out var fu))
        {
            return false;
        }

        if (fu.IsStart)
        {
            if (_inFragment)
            {
                return false;
            }

            _inFragment = true;
            Note(fu.NalUnitType);

            // The NAL header comes back from the FU indicator's F and NRI bits and the FU header's type (§5.8).
            Span<byte> header = [(byte)((payload[0] & 0xE0) | fu.NalUnitType)];
            return Write(StartCode) && Write(header) && Write(payload[2..]);
        }

        if (!_inFragment)
        {
            return false;
        }

        if (fu.IsEnd)
        {
            _inFragment = false;
        }

        return Write(payload[2..]);
    }

    private bool AppendNal(ReadOnlySpan<byte> nal)
    {
        Note(nal[0] & 0x1F);
        return Write(StartCode) && Write(nal);
    }

    private void Note(int nalType)
    {
        switch (nalType)
        {
            case H264NalUnitType.IdrSlice:
                _hasIdr = true;
                break;
            case H264NalUnitType.Sps:
                _hasSps = true;
                break;
            case H264NalUnitType.Pps:
                _hasPps = true;
                break;
        }
    }

    protected override bool IsFrameComplete() => !_inFragment;

    /// <summary>
    /// An IDR picture with its SPS and PPS in the same access unit: a decoder can start there whatever came before, even
    /// when the lost frames changed the parameter sets. WebRTC and FFmpeg senders repeat them before every IDR.
    /// </summary>
    protected override bool IsKeyframe() => _hasIdr && _hasSps && _hasPps;
}
