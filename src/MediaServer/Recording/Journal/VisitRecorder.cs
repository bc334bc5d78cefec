using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.Json;
using MediaServer.Codecs.Recording;

namespace MediaServer.Recording.Journal;

public enum RecorderState
{
    Recording,
    Sealed,
    Failed,
}

/// <summary>
/// The journal of one visit being recorded (docs/recording-journal.md). Relay threads call <see cref="OnRtp"/> and
/// <see cref="OnSenderReport"/>, which copy into a <see cref="JournalBuffer"/> and return; the writer thread calls
/// <see cref="WriteOnce"/>, which frames records, extends the chain, writes, checkpoints and fsyncs. Only the writer thread
/// touches the file.
/// </summary>
public sealed class VisitRecorder : IDisposable
{
    public const string JournalFileName = "journal.msj";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly JournalBuffer _buffer;
    private readonly long _originTicks;
    private readonly TimeSpan _fsyncInterval;
    private readonly byte[] _out = new byte[JournalFormat.MaxPayloadLength + JournalFormat.RecordOverhead];
    private readonly JournalChain _chain;
    private readonly Dictionary<uint, string> _participantOfTrack = [];
    private readonly Dictionary<string, uint> _trackOfContinuity = new(StringComparer.Ordinal);
    private readonly List<(uint Track, long Count)> _droppedNow = [];
    private FileStream? _file;
    private int _outUsed;
    private long _recordsSinceCheckpoint;
    private long _lastFsyncTicks;
    private bool _unsynced;
    private int _nextTrackId;
    private string? _sealReason;
    private volatile RecorderState _state = RecorderState.Recording;

    private VisitRecorder(string visitId, string directory, int segment, FileStream file, int bufferBytes, TimeSpan fsyncInterval,
        int lastTrackId)
    {
        VisitId = visitId;
        Directory = directory;
        Segment = segment;
        _nextTrackId = lastTrackId;
        _file = file;
        _buffer = new JournalBuffer(bufferBytes);
        _fsyncInterval = fsyncInterval;
        _originTicks = Stopwatch.GetTimestamp();
        _lastFsyncTicks = _originTicks;
        Span<byte> preamble = stackalloc byte[JournalFormat.PreambleLength];
        JournalFormat.WritePreamble(preamble);
        _chain = new JournalChain(preamble);
    }

    /// <summary>
    /// Creates the visit's folder (0700) and the journal of one segment (0600, preamble only; segment 1 is journal.msj, a
    /// continuation journal-000N.msj). A continuation numbers its tracks after <paramref name="lastTrackId"/>, the highest id of
    /// the segments before it, so that a track id means one track in the whole recording. Throws IOException when the disk refuses.
    /// </summary>
    public static VisitRecorder Create(string visitId, string directory, int bufferBytes, TimeSpan fsyncInterval, int segment = 1,
        int lastTrackId = 0)
    {
        RecordingPaths.CreateFolder(directory);
        var path = Path.Combine(directory, JournalSegments.FileName(segment));
        var file = new FileStream(path, RecordingPaths.NewFile(FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0));
        try
        {
            Span<byte> preamble = stackalloc byte[JournalFormat.PreambleLength];
            JournalFormat.WritePreamble(preamble);
            file.Write(preamble);
            file.Flush(flushToDisk: true);
        }
        catch
        {
            file.Dispose();
            // A journal that holds not even its preamble is no evidence; removed so that a later attempt can create it.
            TryDelete(path);
            throw;
        }
        return new VisitRecorder(visitId, directory, segment, file, bufferBytes, fsyncInterval, lastTrackId);
    }

    public string VisitId { get; }

    /// <summary>For benchmarks: lets them empty the buffer without the writer's I/O.</summary>
    internal JournalBuffer Buffer => _buffer;

    public string Directory { get; }

    /// <summary>Which segment of the recording this journal is (1 for journal.msj).</summary>
    public int Segment { get; }

    public string JournalPath => Path.Combine(Directory, JournalSegments.FileName(Segment));

    public RecorderState State => _state;

    public Exception? Failure { get; private set; }

    public string? SealReason => _sealReason;

    /// <summary>Media entries the recorder could not keep (buffer full), over the whole recording.</summary>
    public long DroppedPackets { get; private set; }

    /// <summary>Bytes written to the journal so far (writer thread's view).</summary>
    public long BytesWritten { get; private set; } = JournalFormat.PreambleLength;

    public long Records => _chain.Count;

    /// <summary>The chain value after the last record written; valid once sealed.</summary>
    public byte[] ChainHash => _chain.Value.ToArray();

    public bool SealRequested => Volatile.Read(ref _sealReason) is not null;

    // ---- Relay threads ----

    /// <summary>Keeps one RTP packet as it arrived (before any rewrite). Copies and returns; false when it was dropped.</summary>
    public bool OnRtp(uint track, ReadOnlySpan<byte> packet, long stopwatchTicks) =>
        _buffer.TryAppendMedia((byte)JournalRecordType.Rtp, track, stopwatchTicks, WallMicroseconds(), packet);

    public bool OnSenderReport(uint track, ReadOnlySpan<byte> senderReport, long stopwatchTicks) =>
        _buffer.TryAppendMedia((byte)JournalRecordType.SenderReport, track, stopwatchTicks, WallMicroseconds(), senderReport);

    // ---- Control path ----

    public void Begin(object visitDescription) => Control(JournalRecordType.Begin, 0, visitDescription);

    /// <summary>The Begin record, stamped with <paramref name="at"/> (the moment the segment starts, as its Gap record says).</summary>
    public void Begin(object visitDescription, DateTimeOffset at) =>
        Control(JournalRecordType.Begin, 0, visitDescription, (at.UtcTicks - DateTime.UnixEpoch.Ticks) / 10);

    /// <summary>Declares a track; its id goes into each of its RTP and sender-report records.</summary>
    public uint AddTrack(object trackDescription, string? participant = null)
    {
        // 32-bit ids (journal format 2): a re-join declares new tracks, and 16 bits wrapped within a long visit.
        var id = (uint)Interlocked.Increment(ref _nextTrackId);
        lock (_participantOfTrack)
        {
            _participantOfTrack[id] = participant ?? "";
        }
        _buffer.RegisterTrack(id);
        Control(JournalRecordType.Track, id, trackDescription);
        return id;
    }

    /// <summary>
    /// The track a re-join continues: a party's leg that comes back (a kiosk app restart, a page reload) with a track of the same
    /// <paramref name="continuity"/> (participant, kind, payload types) in this segment keeps that track's id, so its media
    /// goes on in one track; anything else is declared as a new track (<see cref="AddTrack"/>). Called under the visit's lock.
    /// </summary>
    public uint ContinueOrAddTrack(string continuity, object trackDescription, string participant)
    {
        lock (_participantOfTrack)
        {
            if (_trackOfContinuity.TryGetValue(continuity, out var known))
            {
                return known;
            }
        }
        var id = AddTrack(trackDescription, participant);
        lock (_participantOfTrack)
        {
            _trackOfContinuity[continuity] = id;
        }
        return id;
    }

    /// <summary>A continuation segment's Gap record (right after its Begin): what no segment recorded before this one.</summary>
    public void Gap(object gap) => Control(JournalRecordType.Gap, 0, gap);

    public void Bookmark(object bookmark) => Control(JournalRecordType.Bookmark, 0, bookmark);

    public void Event(object description) => Control(JournalRecordType.Event, 0, description);

    /// <summary>Asks the writer to write what is buffered, then the End record, and close the journal.</summary>
    public void RequestSeal(string reason) => Interlocked.CompareExchange(ref _sealReason, reason, null);

    private void Control(JournalRecordType type, uint track, object body, long? wallMicroseconds = null)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), Json);
        _buffer.AppendControl((byte)type, track, Stopwatch.GetTimestamp(), wallMicroseconds ?? WallMicroseconds(), json);
    }

    private static long WallMicroseconds() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    // ---- Writer thread ----

    /// <summary>
    /// Writes what relay threads left since the last call, a checkpoint, and (when due, or when sealing) fsyncs. When a seal
    /// was requested, also writes the End record and closes the file. Returns true when the state changed (sealed or failed).
    /// Throws nothing: an I/O error moves the recorder to <see cref="RecorderState.Failed"/>.
    /// </summary>
    public bool WriteOnce(long nowTicks)
    {
        if (_state != RecorderState.Recording)
        {
            return false;
        }
        try
        {
            var sealing = SealRequested;
            if (sealing)
            {
                _buffer.Close();
            }
            Drain();
            if (sealing)
            {
                WriteCheckpoint();
                var end = JsonSerializer.SerializeToUtf8Bytes(new { reason = _sealReason, recovered = false, cutBytes = 0 }, Json);
                AppendRecord(JournalRecordType.End, end, track: null, Stopwatch.GetTimestamp(), WallMicroseconds());
                FlushOut();
                _file!.Flush(flushToDisk: true);
                _file.Dispose();
                _file = null;
                _state = RecorderState.Sealed;
                return true;
            }
            if (_recordsSinceCheckpoint > 0)
            {
                WriteCheckpoint();
            }
            FlushOut();
            if (_unsynced && Stopwatch.GetElapsedTime(_lastFsyncTicks, nowTicks) >= _fsyncInterval)
            {
                _file!.Flush(flushToDisk: true);
                _lastFsyncTicks = nowTicks;
                _unsynced = false;
            }
            return false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            Fail(ex);
            return true;
        }
    }

    private void Fail(Exception ex)
    {
        Failure = ex;
        _state = RecorderState.Failed;
        _buffer.Close();
        try
        {
            _file?.Dispose();
        }
        catch (IOException)
        {
            // Closing flushes nothing (no FileStream buffer); a failing close changes nothing for what is on disk.
        }
        _file = null;
    }

    private void Drain()
    {
        var (buffer, length) = _buffer.Swap();
        var entries = buffer.AsSpan(0, length);
        var offset = 0;
        while (JournalBuffer.TryReadEntry(entries, ref offset, out var type, out var track, out var ticks, out var wall, out var data))
        {
            var recordType = (JournalRecordType)type;
            uint? trackId = recordType is JournalRecordType.Rtp or JournalRecordType.SenderReport or JournalRecordType.Track
                ? track
                : null;
            AppendRecord(recordType, data, trackId, ticks, wall);
        }
        // One Event per track that lost packets since the last drain: the journal's own count, which the manifest sums.
        _droppedNow.Clear();
        _buffer.TakeDroppedByTrack(_droppedNow);
        foreach (var (track, dropped) in _droppedNow)
        {
            DroppedPackets += dropped;
            string? participant;
            lock (_participantOfTrack)
            {
                participant = _participantOfTrack.GetValueOrDefault(track);
            }
            var json = JsonSerializer.SerializeToUtf8Bytes(new
            {
                @event = "dropped",
                participant,
                detail = dropped.ToString(System.Globalization.CultureInfo.InvariantCulture),
                track = track == 0 ? (uint?)null : track,
                count = dropped,
            }, Json);
            AppendRecord(JournalRecordType.Event, json, null, Stopwatch.GetTimestamp(), WallMicroseconds());
        }
    }

    private void WriteCheckpoint()
    {
        Span<byte> body = stackalloc byte[8 + JournalChain.HashLength];
        BinaryPrimitives.WriteUInt64BigEndian(body, (ulong)_chain.Count);
        _chain.Value.CopyTo(body[8..]);
        AppendRecord(JournalRecordType.Checkpoint, body, null, Stopwatch.GetTimestamp(), WallMicroseconds());
        _recordsSinceCheckpoint = 0;
    }

    private void AppendRecord(JournalRecordType type, ReadOnlySpan<byte> body, uint? track, long ticks, long wallMicroseconds)
    {
        var prefix = track is null ? JournalFormat.TimePrefixLength : JournalFormat.MediaPrefixLength;
        var payloadLength = prefix + body.Length;
        var total = payloadLength + JournalFormat.RecordOverhead;
        if (payloadLength > JournalFormat.MaxPayloadLength)
        {
            return; // Never produced by the relay (datagrams are < 64 KiB); refuse rather than write an unreadable record.
        }
        if (_outUsed + total > _out.Length)
        {
            FlushOut();
        }
        var record = _out.AsSpan(_outUsed, total);
        var payload = JournalFormat.PayloadArea(record);
        var monotonic = (long)((ticks - _originTicks) * (1_000_000_000.0 / Stopwatch.Frequency));
        if (track is { } id)
        {
            JournalFormat.WriteMediaPrefix(payload, monotonic, wallMicroseconds, id);
        }
        else
        {
            JournalFormat.WriteTimePrefix(payload, monotonic, wallMicroseconds);
        }
        body.CopyTo(payload[prefix..]);
        JournalFormat.CompleteRecord(record, type, payloadLength);
        _chain.Append(record);
        _outUsed += total;
        _recordsSinceCheckpoint++;
    }

    private void FlushOut()
    {
        if (_outUsed == 0)
        {
            return;
        }
        _file!.Write(_out, 0, _outUsed);
        BytesWritten += _outUsed;
        _outUsed = 0;
        _unsynced = true;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public void Dispose()
    {
        _buffer.Close();
        _file?.Dispose();
        _chain.Dispose();
    }
}
