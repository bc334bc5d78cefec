using System.Buffers.Binary;

namespace MediaServer.Codecs.Recording;

public enum JournalReadStatus
{
    /// <summary>A whole record whose CRC checks.</summary>
    Record,

    /// <summary>No bytes left: the journal ends cleanly on a record boundary.</summary>
    EndOfData,

    /// <summary>The bytes left are the start of a record that was never finished (a torn tail after a crash).</summary>
    Truncated,

    /// <summary>A whole record is there but its CRC does not match, or its length field is impossible.</summary>
    Corrupt,
}

/// <summary>One record as read: its type, payload and full bytes (for the chain).</summary>
public readonly ref struct JournalRecord(JournalRecordType type, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> raw,
    int trackIdLength = 4)
{
    private readonly int _trackIdLength = trackIdLength;

    public JournalRecordType Type { get; } = type;
    public ReadOnlySpan<byte> Payload { get; } = payload;
    public ReadOnlySpan<byte> Raw { get; } = raw;

    public long MonotonicNanoseconds => Payload.Length >= 8 ? BinaryPrimitives.ReadInt64BigEndian(Payload) : 0;

    public long WallClockMicroseconds => Payload.Length >= 16 ? BinaryPrimitives.ReadInt64BigEndian(Payload[8..]) : 0;

    /// <summary>True for types whose payload starts with the time prefix and it is all there.</summary>
    public bool HasTime => Payload.Length >= JournalFormat.TimePrefixLength;

    /// <summary>The track id of an RTP, sender-report or track record.</summary>
    public bool TryGetTrack(out uint trackId, out ReadOnlySpan<byte> body)
    {
        var prefix = JournalFormat.TimePrefixLength + _trackIdLength;
        if (Type is not (JournalRecordType.Rtp or JournalRecordType.SenderReport or JournalRecordType.Track)
            || Payload.Length < prefix)
        {
            trackId = 0;
            body = default;
            return false;
        }
        var id = Payload[JournalFormat.TimePrefixLength..];
        trackId = _trackIdLength == 2 ? BinaryPrimitives.ReadUInt16BigEndian(id) : BinaryPrimitives.ReadUInt32BigEndian(id);
        body = Payload[prefix..];
        return true;
    }

    /// <summary>The JSON body of a begin, bookmark, event, end or gap record (after the time prefix).</summary>
    public ReadOnlySpan<byte> JsonBody => Type switch
    {
        JournalRecordType.Begin or JournalRecordType.Bookmark or JournalRecordType.Event or JournalRecordType.End
            or JournalRecordType.Gap when Payload.Length >= JournalFormat.TimePrefixLength => Payload[JournalFormat.TimePrefixLength..],
        JournalRecordType.Track when Payload.Length >= JournalFormat.TimePrefixLength + _trackIdLength
            => Payload[(JournalFormat.TimePrefixLength + _trackIdLength)..],
        _ => default,
    };

    /// <summary>A checkpoint's record count and chain value.</summary>
    public bool TryGetCheckpoint(out long recordsBefore, out ReadOnlySpan<byte> chain)
    {
        if (Type != JournalRecordType.Checkpoint || Payload.Length < JournalFormat.TimePrefixLength + 8 + JournalChain.HashLength)
        {
            recordsBefore = 0;
            chain = default;
            return false;
        }
        recordsBefore = (long)BinaryPrimitives.ReadUInt64BigEndian(Payload[JournalFormat.TimePrefixLength..]);
        chain = Payload.Slice(JournalFormat.TimePrefixLength + 8, JournalChain.HashLength);
        return true;
    }
}

/// <summary>
/// Reads journal records in order from a buffer (the whole file, or a window of it). Never throws on bad bytes: each call
/// says whether it found a record, the clean end, a torn tail or damage, and <see cref="Position"/> stays at the start of
/// whatever could not be read, which is where a recovering writer cuts the file.
/// </summary>
public ref struct JournalReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly int _trackIdLength;

    /// <param name="data">Journal bytes; <paramref name="start"/> is where the first record begins (after the preamble).</param>
    /// <param name="version">The journal's format version (from its preamble): how wide its track ids are.</param>
    public JournalReader(ReadOnlySpan<byte> data, int start = JournalFormat.PreambleLength, ushort version = JournalFormat.Version)
    {
        _data = data;
        Position = start;
        _trackIdLength = JournalFormat.TrackIdLength(version);
    }

    /// <summary>Offset of the next record to read.</summary>
    public int Position { get; private set; }

    public JournalReadStatus Read(out JournalRecord record)
    {
        record = default;
        var left = _data[Position..];
        if (left.IsEmpty)
        {
            return JournalReadStatus.EndOfData;
        }
        if (left.Length < JournalFormat.RecordHeaderLength)
        {
            return JournalReadStatus.Truncated;
        }
        var length = BinaryPrimitives.ReadUInt32BigEndian(left);
        if (length > JournalFormat.MaxPayloadLength)
        {
            return JournalReadStatus.Corrupt;
        }
        var total = (int)length + JournalFormat.RecordOverhead;
        if (left.Length < total)
        {
            return JournalReadStatus.Truncated;
        }
        var covered = left[..(JournalFormat.RecordHeaderLength + (int)length)];
        var crc = BinaryPrimitives.ReadUInt32BigEndian(left[covered.Length..]);
        if (System.IO.Hashing.Crc32.HashToUInt32(covered) != crc)
        {
            return JournalReadStatus.Corrupt;
        }
        record = new JournalRecord((JournalRecordType)left[4], left.Slice(JournalFormat.RecordHeaderLength, (int)length),
            left[..total], _trackIdLength);
        Position += total;
        return JournalReadStatus.Record;
    }
}
