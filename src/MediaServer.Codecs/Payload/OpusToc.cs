namespace MediaServer.Codecs.Payload;

/// <summary>The coding mode an Opus configuration selects (RFC 6716 §3.1).</summary>
public enum OpusMode
{
    Silk,
    Hybrid,
    Celt,
}

/// <summary>Audio bandwidth of an Opus configuration (RFC 6716 §2, Table 1).</summary>
public enum OpusBandwidth
{
    Narrowband,
    Mediumband,
    Wideband,
    SuperWideband,
    Fullband,
}

/// <summary>
/// The table-of-contents byte that starts every Opus packet (RFC 6716 §3.1): a 5-bit configuration (mode, bandwidth,
/// frame duration), a stereo flag and a 2-bit frame count code.
/// </summary>
public readonly struct OpusToc
{
    /// <summary>RFC 6716 §3.2.5: no packet may hold more than 120 ms of audio.</summary>
    public const int MaxSamplesPerPacket = 5760;

    /// <summary>RFC 6716 §3.2.1: a frame never exceeds 1275 bytes.</summary>
    public const int MaxFrameLength = 1275;

    public OpusToc(byte value)
    {
        Value = value;
    }

    public byte Value { get; }

    /// <summary>0..31, RFC 6716 Table 2.</summary>
    public int Config => Value >> 3;

    /// <summary>s: the frames are stereo.</summary>
    public bool IsStereo => (Value & 0x04) != 0;

    /// <summary>c: 0 = one frame, 1 = two equal frames, 2 = two frames of different sizes, 3 = an arbitrary count.</summary>
    public int FrameCountCode => Value & 0x03;

    public OpusMode Mode => Config switch
    {
        < 12 => OpusMode.Silk,
        < 16 => OpusMode.Hybrid,
        _ => OpusMode.Celt,
    };

    public OpusBandwidth Bandwidth => Config switch
    {
        < 4 => OpusBandwidth.Narrowband,
        < 8 => OpusBandwidth.Mediumband,
        < 12 => OpusBandwidth.Wideband,
        < 14 => OpusBandwidth.SuperWideband,
        < 16 => OpusBandwidth.Fullband,
        < 20 => OpusBandwidth.Narrowband,
        < 24 => OpusBandwidth.Wideband,
        < 28 => OpusBandwidth.SuperWideband,
        _ => OpusBandwidth.Fullband,
    };

    /// <summary>Samples per frame at 48 kHz: SILK 10/20/40/60 ms, Hybrid 10/20 ms, CELT 2.5/5/10/20 ms.</summary>
    public int FrameSize => Config switch
    {
        < 12 => (Config & 0x03) == 3 ? 2880 : 480 << (Config & 0x03), // 60 ms is not a power-of-two step
        < 16 => 480 << (Config & 0x01),
        _ => 120 << (Config & 0x03),
    };

    public static bool TryRead(ReadOnlySpan<byte> payload, out OpusToc toc)
    {
        toc = payload.IsEmpty ? default : new OpusToc(payload[0]);
        return !payload.IsEmpty;
    }

    /// <summary>
    /// Samples at 48 kHz the Opus packet decodes to, or -1 when the packet breaks the framing rules R1–R7 of
    /// RFC 6716 §3.4 (empty, odd code-1 length, frame lengths past the end, zero frames, more than 120 ms, …).
    /// </summary>
    public static int GetSampleCount(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
        {
            return -1; // R1
        }

        var toc = new OpusToc(payload[0]);
        int frameSize = toc.FrameSize;
        var rest = payload[1..];
        switch (toc.FrameCountCode)
        {
            case 0:
                return rest.Length <= MaxFrameLength ? frameSize : -1; // R2
            case 1:
                return rest.Length % 2 == 0 && rest.Length / 2 <= MaxFrameLength ? 2 * frameSize : -1; // R3
            case 2:
            {
                int used = ReadFrameLength(rest, out int first); // R4
                return used > 0 && first <= rest.Length - used && rest.Length - used - first <= MaxFrameLength ? 2 * frameSize : -1;
            }

            default:
                return CodeThreeSampleCount(rest, frameSize);
        }
    }

    /// <summary>R5–R7: the frame count byte (v, p, M), optional padding lengths, and in VBR mode M-1 frame lengths.</summary>
    private static int CodeThreeSampleCount(ReadOnlySpan<byte> rest, int frameSize)
    {
        if (rest.IsEmpty)
        {
            return -1;
        }

        bool vbr = (rest[0] & 0x80) != 0;
        bool padded = (rest[0] & 0x40) != 0;
        int frames = rest[0] & 0x3F;
        if (frames == 0 || frames * frameSize > MaxSamplesPerPacket)
        {
            return -1;
        }

        int offset = 1;
        int padding = 0;
        if (padded)
        {
            // Each 255 adds 254 bytes of padding and says another padding length byte follows.
            int value;
            do
            {
                if (offset >= rest.Length)
                {
                    return -1;
                }

                value = rest[offset++];
                padding += value == 255 ? 254 : value;
            }
            while (value == 255);
        }

        if (vbr)
        {
            int total = 0;
            for (int i = 0; i < frames - 1; i++)
            {
                int used = ReadFrameLength(rest[offset..], out int length);
                if (used == 0)
                {
                    return -1;
                }

                offset += used;
                total += length;
            }

            int last = rest.Length - offset - padding - total;
            return last >= 0 && last <= MaxFrameLength ? frames * frameSize : -1; // R7
        }

        int data = rest.Length - offset - padding;
        return data >= 0 && data % frames == 0 && data / frames <= MaxFrameLength ? frames * frameSize : -1; // R6
    }

    /// <summary>RFC 6716 §3.2.1: a frame length in one byte (0..251) or two (252..1275). Returns bytes used, 0 if cut short.</summary>
    private static int ReadFrameLength(ReadOnlySpan<byte> data, out int length)
    {
        length = 0;
        if (data.IsEmpty)
        {
            return 0;
        }

        if (data[0] < 252)
        {
            length = data[0];
            return 1;
        }

        if (data.Length < 2)
        {
            return 0;
        }

        length = (4 * data[1]) + data[0];
        return 2;
    }
}
