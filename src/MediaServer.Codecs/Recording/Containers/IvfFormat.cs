using System.Buffers.Binary;

namespace MediaServer.Codecs.Recording.Containers;

/// <summary>
/// The IVF container (libvpx's simple video file): a 32-byte file header, then per frame a 12-byte header (size, 64-bit
/// timestamp) and the frame. Little-endian throughout. Each frame carries its own timestamp in the header's time base,
/// which is why the renderer uses it: FFmpeg reads it back with exact per-frame times. FFmpeg looks the fourcc up in its
/// codec tag table, so <c>VP80</c> and <c>H264</c> (an Annex B stream, one access unit per frame) both play.
/// </summary>
public static class IvfFormat
{
    public const int FileHeaderLength = 32;

    public const int FrameHeaderLength = 12;

    public static uint FourCcVp8 => FourCc("VP80");

    public static uint FourCcH264 => FourCc("H264");

    /// <summary>The little-endian value of a four-character code.</summary>
    public static uint FourCc(string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        if (code.Length != 4)
        {
            throw new ArgumentException("A fourcc has four characters.", nameof(code));
        }

        return (uint)(code[0] | (code[1] << 8) | (code[2] << 16) | (code[3] << 24));
    }

    /// <summary>
    /// Writes the file header. The time base is <paramref name="timeBaseNumerator"/>/<paramref name="timeBaseDenominator"/>
    /// seconds per timestamp unit (1/1000 for milliseconds). Returns bytes written, or -1 when it does not fit.
    /// </summary>
    public static int WriteFileHeader(
        Span<byte> destination,
        uint fourCc,
        ushort width,
        ushort height,
        uint timeBaseDenominator,
        uint timeBaseNumerator,
        uint frameCount)
    {
        if (destination.Length < FileHeaderLength)
        {
            return -1;
        }

        "DKIF"u8.CopyTo(destination);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], 0); // version
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], FileHeaderLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], fourCc);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[12..], width);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[14..], height);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[16..], timeBaseDenominator);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[20..], timeBaseNumerator);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[24..], frameCount);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[28..], 0);
        return FileHeaderLength;
    }

    /// <summary>Writes a frame header; the frame's bytes follow it. Returns bytes written, or -1 when it does not fit.</summary>
    public static int WriteFrameHeader(Span<byte> destination, int frameLength, long timestamp)
    {
        if (destination.Length < FrameHeaderLength || frameLength < 0)
        {
            return -1;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)frameLength);
        BinaryPrimitives.WriteInt64LittleEndian(destination[4..], timestamp);
        return FrameHeaderLength;
    }
}
