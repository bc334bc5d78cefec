using System.Buffers.Binary;

namespace MediaServer.Codecs.Recording.Containers;

/// <summary>
/// The header of a canonical PCM WAV file (RIFF/WAVE with a 16-byte <c>fmt </c> chunk, format 1, and one <c>data</c>
/// chunk): 44 bytes, little-endian, then interleaved signed 16-bit samples.
/// </summary>
public static class WavFormat
{
    public const int HeaderLength = 44;

    private const int BytesPerSample = 2;

    /// <summary>The most sample data a RIFF size field can describe.</summary>
    public const long MaxDataLength = uint.MaxValue - (HeaderLength - 8);

    /// <summary>Writes the header for <paramref name="dataLength"/> bytes of s16le samples; -1 when it does not fit or is too long.</summary>
    public static int WriteHeader(Span<byte> destination, int sampleRate, int channels, long dataLength)
    {
        if (destination.Length < HeaderLength || sampleRate <= 0 || channels is <= 0 or > 8
            || dataLength < 0 || dataLength > MaxDataLength)
        {
            return -1;
        }

        int blockAlign = channels * BytesPerSample;
        "RIFF"u8.CopyTo(destination);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], (uint)(dataLength + HeaderLength - 8));
        "WAVE"u8.CopyTo(destination[8..]);
        "fmt "u8.CopyTo(destination[12..]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[16..], 16);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[20..], 1); // PCM
        BinaryPrimitives.WriteUInt16LittleEndian(destination[22..], (ushort)channels);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[24..], (uint)sampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[28..], (uint)(sampleRate * blockAlign));
        BinaryPrimitives.WriteUInt16LittleEndian(destination[32..], (ushort)blockAlign);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[34..], BytesPerSample * 8);
        "data"u8.CopyTo(destination[36..]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[40..], (uint)dataLength);
        return HeaderLength;
    }
}
