using System.Security.Cryptography;
using MediaServer.Codecs.Recording;

namespace MediaServer.Recording.Journal;

/// <summary>Called for each intact record, with its offset in the file.</summary>
public delegate void JournalRecordVisitor(in JournalRecord record, long offset);

/// <summary>What a pass over a journal file found.</summary>
public sealed record JournalScan(
    bool PreambleValid,
    long FileLength,
    long Records,
    byte[] ChainHash,
    string Sha256,
    bool HasEnd,
    long? FirstBadOffset,
    JournalReadStatus? FirstBadStatus,
    long? FirstBadRecordIndex,
    long? CheckpointMismatchAt)
{
    /// <summary>Every record intact, every checkpoint agreeing with the chain.</summary>
    public bool Intact => PreambleValid && FirstBadOffset is null && CheckpointMismatchAt is null;
}

/// <summary>
/// Reads a journal file front to back in bounded memory: CRCs, the SHA-256 chain, checkpoints, and the SHA-256 of the whole
/// file. Stops at the first record that is torn or damaged and says where, which is where recovery cuts.
/// </summary>
public static class JournalScanner
{
    private const int WindowBytes = 4 * 1024 * 1024;

    public static JournalScan Scan(string path, JournalRecordVisitor? visitor = null)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        return Scan(stream, visitor);
    }

    public static JournalScan Scan(Stream stream, JournalRecordVisitor? visitor = null)
    {
        using var fileHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var window = new byte[WindowBytes];
        var filled = ReadFull(stream, window, 0, fileHash);
        long windowStart = 0;
        if (!JournalFormat.TryReadPreamble(window.AsSpan(0, filled), out var version))
        {
            DrainRest(stream, window, fileHash);
            return new JournalScan(false, stream.Length, 0, [], Convert.ToHexStringLower(fileHash.GetHashAndReset()), false,
                0, JournalReadStatus.Corrupt, 0, null);
        }
        using var chain = new JournalChain(window.AsSpan(0, JournalFormat.PreambleLength));
        var position = JournalFormat.PreambleLength;
        var hasEnd = false;
        long? badOffset = null;
        JournalReadStatus? badStatus = null;
        long? checkpointMismatch = null;
        var eof = filled < window.Length;
        while (true)
        {
            var reader = new JournalReader(window.AsSpan(0, filled), position, version);
            var status = reader.Read(out var record);
            if (status == JournalReadStatus.Record)
            {
                if (record.TryGetCheckpoint(out var before, out var value)
                    && (before != chain.Count || !value.SequenceEqual(chain.Value)) && checkpointMismatch is null)
                {
                    checkpointMismatch = chain.Count;
                }
                hasEnd |= record.Type == JournalRecordType.End;
                visitor?.Invoke(record, windowStart + position);
                chain.Append(record.Raw);
                position = reader.Position;
                continue;
            }
            if (status == JournalReadStatus.Truncated && !eof)
            {
                // The record continues past the window: slide what is left to the front and read on.
                var left = filled - position;
                Buffer.BlockCopy(window, position, window, 0, left);
                windowStart += position;
                position = 0;
                var more = ReadFull(stream, window, left, fileHash);
                filled = left + more;
                eof = filled < window.Length;
                continue;
            }
            if (status != JournalReadStatus.EndOfData)
            {
                badOffset = windowStart + position;
                badStatus = status;
            }
            break;
        }
        DrainRest(stream, window, fileHash);
        return new JournalScan(true, stream.Length, chain.Count, chain.Value.ToArray(),
            Convert.ToHexStringLower(fileHash.GetHashAndReset()), hasEnd, badOffset, badStatus,
            badOffset is null ? null : chain.Count, checkpointMismatch);
    }

    private static int ReadFull(Stream stream, byte[] buffer, int offset, IncrementalHash hash)
    {
        var total = 0;
        while (offset + total < buffer.Length)
        {
            var read = stream.Read(buffer, offset + total, buffer.Length - offset - total);
            if (read == 0)
            {
                break;
            }
            total += read;
        }
        hash.AppendData(buffer, offset, total);
        return total;
    }

    private static void DrainRest(Stream stream, byte[] buffer, IncrementalHash hash)
    {
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            hash.AppendData(buffer, 0, read);
        }
    }

    /// <summary>SHA-256 of a whole file, lower-case hex.</summary>
    public static string Sha256OfFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
