using MediaServer.Visits;

namespace MediaServer.Storage;

/// <summary>The audit log's verification: the chain recomputed with the key, and held against every signed checkpoint.</summary>
public sealed partial class AuditLog
{
    /// <summary>
    /// Recomputes the chain with the key and compares it with every signed checkpoint. Reports the first sequence number that is
    /// edited, re-chained without the key, missing (a deleted row) or gone (the newest rows dropped: a checkpoint names a sequence
    /// the log no longer reaches).
    /// </summary>
    public AuditVerification Verify()
    {
        long headAtStart;
        lock (_appendLock)
        {
            FlushPendingLocked(all: true);
            headAtStart = _headSeq;
        }
        var checkpoints = _checkpoints.Read(_headSeq, out var checkpointProblem);
        var legacyUpTo = checkpoints.Where(c => c.Legacy).Select(c => c.Seq).DefaultIfEmpty(0).Min();
        var wanted = new Dictionary<long, string>();
        foreach (var checkpoint in checkpoints)
        {
            wanted.TryAdd(checkpoint.Seq, "");
        }

        long count = 0;
        long lastGood = 0;
        long? chainBreak = null;
        var expectedPrev = AuditChain.Genesis;
        using (var connection = _database.Open())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT seq, at, actor, role, action, target, outcome, count, prev_hash, hash FROM audit ORDER BY seq";
            using var reader = command.ExecuteReader();
            long expectedSeq = 1;
            while (reader.Read())
            {
                count++;
                var entry = AuditChain.ReadEntry(reader);
                var prev = reader.GetString(8);
                var stored = reader.GetString(9);
                var key = entry.Seq <= legacyUpTo ? null : _chainKey;
                // A gap in seq means a deleted row; a wrong prev_hash an inserted or reordered one; a wrong HMAC an edit or a
                // row re-chained without the key.
                if (chainBreak is null && (entry.Seq != expectedSeq || !string.Equals(prev, expectedPrev, StringComparison.Ordinal)
                    || !AuditChain.FixedTimeEquals(AuditChain.ComputeHash(key, prev, entry), stored)))
                {
                    chainBreak = Math.Min(entry.Seq, expectedSeq);
                }
                if (chainBreak is null)
                {
                    lastGood = entry.Seq;
                    if (wanted.ContainsKey(entry.Seq))
                    {
                        wanted[entry.Seq] = stored;
                    }
                }
                expectedPrev = stored;
                expectedSeq = entry.Seq + 1;
            }
        }

        long? firstBad = chainBreak;
        string? problem = chainBreak is { } at ? $"the chain does not recompute with the audit key at entry {at} (edited, deleted or re-chained)" : null;
        void Bad(long seq, string why)
        {
            if (firstBad is null || seq < firstBad)
            {
                firstBad = seq;
                problem = why;
            }
        }
        long newest = 0;
        foreach (var checkpoint in checkpoints)
        {
            newest = Math.Max(newest, checkpoint.Seq);
            if (checkpoint.Seq == 0)
            {
                continue;
            }
            if (chainBreak is { } broken && checkpoint.Seq >= broken)
            {
                continue; // Already reported at or before this checkpoint.
            }
            if (checkpoint.Seq > lastGood)
            {
                Bad(lastGood + 1, $"entries {lastGood + 1} to {checkpoint.Seq} are gone: the checkpoint at {checkpoint.At:O} names entry {checkpoint.Seq}, the log ends at {lastGood}");
            }
            else if (!AuditChain.FixedTimeEquals(wanted[checkpoint.Seq], checkpoint.Head))
            {
                Bad(checkpoint.Seq, $"entry {checkpoint.Seq} differs from the signed checkpoint of {checkpoint.At:O}");
            }
        }
        if (firstBad is null && lastGood < headAtStart)
        {
            Bad(lastGood + 1, $"entries {lastGood + 1} to {headAtStart} were written by this server and are gone");
        }
        if (firstBad is null && checkpointProblem is not null)
        {
            problem = checkpointProblem;
        }
        else if (checkpointProblem is not null)
        {
            problem += "; " + checkpointProblem;
        }
        var result = new AuditVerification(firstBad is null && checkpointProblem is null, count, firstBad, newest, problem);
        _lastVerification = result;
        return result;
    }
}
