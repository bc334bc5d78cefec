using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MediaServer.Recording.Journal;

/// <summary>
/// Where relay threads leave a visit's packets for the journal writer: two byte arrays, one filled under a short lock (a copy,
/// never I/O) while the writer drains the other. Media that does not fit is dropped and counted — a slow disk must never
/// hold up the relay. Control entries (tracks, bookmarks, events) grow the buffer instead: they are rare and must not be lost.
/// </summary>
internal sealed class JournalBuffer(int capacity)
{
    /// <summary>type u8 · track u32 · stopwatch ticks i64 · wall µs i64 · length i32, then the bytes.</summary>
    public const int EntryHeaderLength = 1 + 4 + 8 + 8 + 4;

    private readonly Lock _lock = new();
    private byte[] _active = new byte[capacity];
    private byte[] _spare = new byte[capacity];
    private int _used;
    private readonly Dictionary<uint, long> _droppedByTrack = [];
    private readonly List<uint> _droppedTracks = [];
    private long _droppedUnknownTrack;
    private bool _closed;

    /// <summary>
    /// Control path: makes room for the track's drop counter, so that counting a drop on the relay path never allocates.
    /// </summary>
    public void RegisterTrack(uint track)
    {
        lock (_lock)
        {
            _droppedByTrack.TryAdd(track, 0);
        }
    }

    /// <summary>
    /// Writer thread: the drops per track since the last call (tracks with none are left out; track 0 holds drops of a track
    /// never registered), added to <paramref name="into"/>, and the counters reset.
    /// </summary>
    public void TakeDroppedByTrack(List<(uint Track, long Count)> into)
    {
        lock (_lock)
        {
            _droppedTracks.Clear();
            foreach (var (track, count) in _droppedByTrack)
            {
                if (count > 0)
                {
                    _droppedTracks.Add(track);
                }
            }
            foreach (var track in _droppedTracks)
            {
                ref var count = ref CollectionsMarshal.GetValueRefOrNullRef(_droppedByTrack, track);
                into.Add((track, count));
                count = 0;
            }
            if (_droppedUnknownTrack > 0)
            {
                into.Add((0, _droppedUnknownTrack));
                _droppedUnknownTrack = 0;
            }
        }
    }

    public bool TryAppendMedia(byte type, uint track, long stopwatchTicks, long wallMicroseconds, ReadOnlySpan<byte> data) =>
        Append(type, track, stopwatchTicks, wallMicroseconds, data, grow: false);

    public bool AppendControl(byte type, uint track, long stopwatchTicks, long wallMicroseconds, ReadOnlySpan<byte> data) =>
        Append(type, track, stopwatchTicks, wallMicroseconds, data, grow: true);

    private bool Append(byte type, uint track, long stopwatchTicks, long wallMicroseconds, ReadOnlySpan<byte> data, bool grow)
    {
        var need = EntryHeaderLength + data.Length;
        lock (_lock)
        {
            if (_closed)
            {
                return false;
            }
            if (_used + need > _active.Length)
            {
                if (!grow)
                {
                    // Counted per track under the lock already held: the writer turns these into Event records, so the
                    // journal, the manifest and the metric all say the same number.
                    ref var count = ref CollectionsMarshal.GetValueRefOrNullRef(_droppedByTrack, track);
                    if (Unsafe.IsNullRef(ref count))
                    {
                        _droppedUnknownTrack++;
                    }
                    else
                    {
                        count++;
                    }
                    return false;
                }
                Array.Resize(ref _active, Math.Max(_active.Length * 2, _used + need));
            }
            Write(_active.AsSpan(_used), type, track, stopwatchTicks, wallMicroseconds, data);
            _used += need;
            return true;
        }
    }

    /// <summary>Stops accepting entries (the recording failed or was sealed); what is buffered can still be drained.</summary>
    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
        }
    }

    /// <summary>
    /// Writer thread only: swaps the arrays and returns the filled one and how much of it is used. The returned array is the
    /// writer's until its next call.
    /// </summary>
    public (byte[] Buffer, int Length) Swap()
    {
        lock (_lock)
        {
            var full = _active;
            var length = _used;
            if (_spare.Length < full.Length && full.Length > capacity)
            {
                // A control entry grew the active array; keep the spare in step so a burst after a swap fits too.
                _spare = new byte[full.Length];
            }
            _active = _spare;
            _spare = full;
            _used = 0;
            return (full, length);
        }
    }

    private static void Write(Span<byte> destination, byte type, uint track, long stopwatchTicks, long wallMicroseconds,
        ReadOnlySpan<byte> data)
    {
        destination[0] = type;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], track);
        BinaryPrimitives.WriteInt64BigEndian(destination[5..], stopwatchTicks);
        BinaryPrimitives.WriteInt64BigEndian(destination[13..], wallMicroseconds);
        BinaryPrimitives.WriteInt32BigEndian(destination[21..], data.Length);
        data.CopyTo(destination[EntryHeaderLength..]);
    }

    public static bool TryReadEntry(ReadOnlySpan<byte> buffer, ref int offset, out byte type, out uint track, out long stopwatchTicks,
        out long wallMicroseconds, out ReadOnlySpan<byte> data)
    {
        type = 0;
        track = 0;
        stopwatchTicks = 0;
        wallMicroseconds = 0;
        data = default;
        if (offset + EntryHeaderLength > buffer.Length)
        {
            return false;
        }
        var entry = buffer[offset..];
        type = entry[0];
        track = BinaryPrimitives.ReadUInt32BigEndian(entry[1..]);
        stopwatchTicks = BinaryPrimitives.ReadInt64BigEndian(entry[5..]);
        wallMicroseconds = BinaryPrimitives.ReadInt64BigEndian(entry[13..]);
        var length = BinaryPrimitives.ReadInt32BigEndian(entry[21..]);
        data = entry.Slice(EntryHeaderLength, length);
        offset += EntryHeaderLength + length;
        return true;
    }
}
