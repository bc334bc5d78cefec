using System.Buffers.Binary;

namespace MediaServer.Codecs.Recording;

/// <summary>
/// The recording journal's framing (docs/recording-journal.md): a 12-byte preamble, then records of
/// <c>length (u32) · type (u8) · payload · CRC-32 (u32)</c>, all big-endian. The CRC covers length, type and payload, so a
/// torn or flipped record is found on its own; the SHA-256 chain (<see cref="JournalChain"/>) ties each record to all before it.
/// </summary>
public static class JournalFormat
{
    /// <summary>"MSJRNL\r\n": the CR LF pair shows a file that went through a text-mode copy.</summary>
    public static ReadOnlySpan<byte> Magic => "MSJRNL\r\n"u8;

    /// <summary>
    /// The version this code writes. Version 2 widened track ids from u16 to u32 (a long visit with many re-joins declares a
    /// track per join) and added recordings in segments (Begin's <c>segment</c> and <c>previous</c>, the Gap record); version 1
    /// journals are still read (<see cref="TrackIdLength"/>).
    /// </summary>
    public const ushort Version = 2;

    /// <summary>The oldest version this code reads.</summary>
    public const ushort MinimumVersion = 1;

    public const int PreambleLength = 12;

    /// <summary>Length, type.</summary>
    public const int RecordHeaderLength = 5;

    public const int RecordTrailerLength = 4;

    public const int RecordOverhead = RecordHeaderLength + RecordTrailerLength;

    /// <summary>A payload longer than this is refused when reading (a length field that lies) and never written.</summary>
    public const int MaxPayloadLength = 1 << 20;

    /// <summary>Monotonic nanoseconds and wall-clock microseconds: the prefix of every timed record's payload.</summary>
    public const int TimePrefixLength = 16;

    /// <summary>Time prefix and a track id (u32): the prefix of track, RTP and RTCP records as written.</summary>
    public const int MediaPrefixLength = TimePrefixLength + 4;

    /// <summary>Bytes of a track id in journals of <paramref name="version"/>: 2 in version 1, 4 since version 2.</summary>
    public static int TrackIdLength(ushort version) => version < 2 ? 2 : 4;

    public static int WritePreamble(Span<byte> destination)
    {
        if (destination.Length < PreambleLength)
        {
            return -1;
        }
        Magic.CopyTo(destination);
        BinaryPrimitives.WriteUInt16BigEndian(destination[8..], Version);
        BinaryPrimitives.WriteUInt16BigEndian(destination[10..], 0);
        return PreambleLength;
    }

    /// <summary>True when <paramref name="data"/> starts with a preamble of a version this code reads (1 or 2).</summary>
    public static bool TryReadPreamble(ReadOnlySpan<byte> data, out ushort version)
    {
        version = 0;
        if (data.Length < PreambleLength || !data[..8].SequenceEqual(Magic))
        {
            return false;
        }
        version = BinaryPrimitives.ReadUInt16BigEndian(data[8..]);
        return version is >= MinimumVersion and <= Version;
    }

    /// <summary>Where a record's payload goes in <paramref name="destination"/>; write it, then call <see cref="CompleteRecord"/>.</summary>
    public static Span<byte> PayloadArea(Span<byte> destination) => destination[RecordHeaderLength..];

    /// <summary>
    /// Writes length, type and CRC around a payload already in <see cref="PayloadArea"/>; returns the record's total length, or
    /// -1 when it does not fit or is too long.
    /// </summary>
    public static int CompleteRecord(Span<byte> destination, JournalRecordType type, int payloadLength)
    {
        var total = payloadLength + RecordOverhead;
        if (payloadLength < 0 || payloadLength > MaxPayloadLength || destination.Length < total)
        {
            return -1;
        }
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)payloadLength);
        destination[4] = (byte)type;
        var crc = System.IO.Hashing.Crc32.HashToUInt32(destination[..(RecordHeaderLength + payloadLength)]);
        BinaryPrimitives.WriteUInt32BigEndian(destination[(RecordHeaderLength + payloadLength)..], crc);
        return total;
    }

    /// <summary>Writes a whole record from a payload held elsewhere; -1 when it does not fit.</summary>
    public static int WriteRecord(Span<byte> destination, JournalRecordType type, ReadOnlySpan<byte> payload)
    {
        if (destination.Length < payload.Length + RecordOverhead)
        {
            return -1;
        }
        payload.CopyTo(PayloadArea(destination));
        return CompleteRecord(destination, type, payload.Length);
    }

    public static void WriteTimePrefix(Span<byte> payload, long monotonicNanoseconds, long wallClockMicroseconds)
    {
        BinaryPrimitives.WriteInt64BigEndian(payload, monotonicNanoseconds);
        BinaryPrimitives.WriteInt64BigEndian(payload[8..], wallClockMicroseconds);
    }

    public static void WriteMediaPrefix(Span<byte> payload, long monotonicNanoseconds, long wallClockMicroseconds, uint trackId)
    {
        WriteTimePrefix(payload, monotonicNanoseconds, wallClockMicroseconds);
        BinaryPrimitives.WriteUInt32BigEndian(payload[TimePrefixLength..], trackId);
    }
}

/// <summary>What a journal record holds. Numbers are part of the format: never renumber, only add.</summary>
public enum JournalRecordType : byte
{
    /// <summary>Time prefix, then UTF-8 JSON: the visit (id, parties, schedule) and the recorder.</summary>
    Begin = 1,

    /// <summary>Time prefix, track id (u32; u16 in version 1), then UTF-8 JSON: party, role, kind, codec, clock rate, payload types.</summary>
    Track = 2,

    /// <summary>Time prefix, track id (u32; u16 in version 1), then one RTP packet exactly as it arrived (after SRTP, before any rewrite).</summary>
    Rtp = 3,

    /// <summary>Time prefix, track id (u32; u16 in version 1), then one RTCP sender report from the track's sender, as it arrived.</summary>
    SenderReport = 4,

    /// <summary>Time prefix, then UTF-8 JSON: an officer's bookmark (at, by, note).</summary>
    Bookmark = 5,

    /// <summary>Time prefix, then UTF-8 JSON: a party joined or left, or the recorder lost packets.</summary>
    Event = 6,

    /// <summary>Time prefix, records before this one (u64), then the 32-byte chain value after the record before this one.</summary>
    Checkpoint = 7,

    /// <summary>Time prefix, then UTF-8 JSON: why the journal was sealed, and whether by recovery after a crash.</summary>
    End = 8,

    /// <summary>
    /// Time prefix, then UTF-8 JSON: the span before this segment that no segment recorded (from, to, seconds, reason).
    /// Second record of a continuation segment, right after its Begin (version 2).
    /// </summary>
    Gap = 9,
}
