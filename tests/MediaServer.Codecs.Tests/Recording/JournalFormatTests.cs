using System.Buffers.Binary;
using MediaServer.Codecs.Recording;

namespace MediaServer.Codecs.Tests.Recording;

public sealed class JournalFormatTests
{
    private static byte[] Journal(Random random, int records, out List<(JournalRecordType Type, byte[] Payload)> written)
    {
        written = [];
        var buffer = new byte[JournalFormat.PreambleLength + records * (JournalFormat.RecordOverhead + 1600)];
        var at = JournalFormat.WritePreamble(buffer);
        for (var i = 0; i < records; i++)
        {
            var type = (JournalRecordType)random.Next(1, 9);
            var payload = new byte[random.Next(0, 1500)];
            random.NextBytes(payload);
            at += JournalFormat.WriteRecord(buffer.AsSpan(at), type, payload);
            written.Add((type, payload));
        }
        return buffer[..at];
    }

    [Fact]
    public void A_version_1_journal_still_reads_and_a_version_newer_than_this_code_does_not()
    {
        Span<byte> preamble = stackalloc byte[JournalFormat.PreambleLength];
        JournalFormat.WritePreamble(preamble);
        Assert.True(JournalFormat.TryReadPreamble(preamble, out var version));
        Assert.Equal(2, version);
        preamble[9] = 1; // a journal written before segments
        Assert.True(JournalFormat.TryReadPreamble(preamble, out version));
        Assert.Equal(1, version);
        preamble[9] = (byte)(JournalFormat.Version + 1);
        Assert.False(JournalFormat.TryReadPreamble(preamble, out _));
    }

    [Fact]
    public void Records_read_back_in_order_with_their_types_and_payloads()
    {
        var data = Journal(new Random(1), 200, out var written);
        Assert.True(JournalFormat.TryReadPreamble(data, out var version));
        Assert.Equal(JournalFormat.Version, version);
        var reader = new JournalReader(data);
        foreach (var (type, payload) in written)
        {
            Assert.Equal(JournalReadStatus.Record, reader.Read(out var record));
            Assert.Equal(type, record.Type);
            Assert.True(record.Payload.SequenceEqual(payload));
        }
        Assert.Equal(JournalReadStatus.EndOfData, reader.Read(out _));
        Assert.Equal(data.Length, reader.Position);
    }

    [Fact]
    public void The_record_layout_is_length_type_payload_crc32_big_endian()
    {
        var buffer = new byte[32];
        var length = JournalFormat.WriteRecord(buffer, JournalRecordType.Event, "abc"u8);
        Assert.Equal(3 + 9, length);
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32BigEndian(buffer));
        Assert.Equal((byte)JournalRecordType.Event, buffer[4]);
        Assert.True(buffer.AsSpan(5, 3).SequenceEqual("abc"u8));
        // CRC-32 (IEEE) of 00 00 00 03 06 61 62 63, computed independently with zlib's crc32.
        Assert.Equal(0xCD8C62B5u, BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(8)));
    }

    [Fact]
    public void Every_truncation_ends_in_a_torn_tail_at_the_last_whole_record()
    {
        var data = Journal(new Random(2), 20, out _);
        var boundaries = new List<int>();
        var full = new JournalReader(data);
        while (full.Read(out _) == JournalReadStatus.Record)
        {
            boundaries.Add(full.Position);
        }
        for (var cut = JournalFormat.PreambleLength; cut < data.Length; cut++)
        {
            var reader = new JournalReader(data.AsSpan(0, cut));
            JournalReadStatus status;
            while ((status = reader.Read(out _)) == JournalReadStatus.Record)
            {
            }
            var lastWhole = JournalFormat.PreambleLength;
            foreach (var b in boundaries)
            {
                if (b <= cut)
                {
                    lastWhole = b;
                }
            }
            Assert.Equal(lastWhole, reader.Position);
            Assert.Equal(cut == lastWhole ? JournalReadStatus.EndOfData : JournalReadStatus.Truncated, status);
        }
    }

    [Fact]
    public void A_flipped_bit_anywhere_in_a_record_is_found_as_damage_or_a_torn_tail()
    {
        var random = new Random(3);
        var data = Journal(random, 30, out _);
        for (var trial = 0; trial < 2000; trial++)
        {
            var copy = (byte[])data.Clone();
            var at = random.Next(JournalFormat.PreambleLength, copy.Length);
            copy[at] ^= (byte)(1 << random.Next(8));
            var reader = new JournalReader(copy);
            JournalReadStatus status;
            while ((status = reader.Read(out _)) == JournalReadStatus.Record)
            {
            }
            Assert.NotEqual(JournalReadStatus.EndOfData, status);
            Assert.True(reader.Position <= at, $"a flip at {at} read past it to {reader.Position}");
        }
    }

    [Fact]
    public void A_length_field_that_lies_is_damage_not_an_allocation()
    {
        var data = new byte[64];
        JournalFormat.WritePreamble(data);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(JournalFormat.PreambleLength), uint.MaxValue);
        var reader = new JournalReader(data);
        Assert.Equal(JournalReadStatus.Corrupt, reader.Read(out _));
    }

    [Fact]
    public void Seeded_garbage_never_throws()
    {
        var random = new Random(5);
        for (var i = 0; i < 5000; i++)
        {
            var data = new byte[random.Next(0, 200)];
            random.NextBytes(data);
            if (data.Length >= JournalFormat.PreambleLength && random.Next(2) == 0)
            {
                JournalFormat.WritePreamble(data);
            }
            _ = JournalFormat.TryReadPreamble(data, out _);
            var reader = new JournalReader(data, Math.Min(data.Length, JournalFormat.PreambleLength));
            var guard = 0;
            while (reader.Read(out var record) == JournalReadStatus.Record && guard++ < 1000)
            {
                _ = record.TryGetTrack(out _, out _);
                _ = record.TryGetCheckpoint(out _, out _);
                _ = record.JsonBody.Length;
            }
        }
    }

    [Fact]
    public void The_chain_changes_with_any_record_and_its_order()
    {
        var preamble = new byte[JournalFormat.PreambleLength];
        JournalFormat.WritePreamble(preamble);
        byte[] Run(params string[] records)
        {
            using var chain = new JournalChain(preamble);
            foreach (var r in records)
            {
                chain.Append(System.Text.Encoding.ASCII.GetBytes(r));
            }
            return chain.Value.ToArray();
        }
        var reference = Run("a", "b", "c");
        Assert.Equal(reference, Run("a", "b", "c"));
        Assert.NotEqual(reference, Run("a", "c", "b"));
        Assert.NotEqual(reference, Run("a", "b"));
        Assert.NotEqual(reference, Run("a", "b", "d"));
        // chain₀ is SHA-256 of the preamble; chain₁ = SHA-256(chain₀ ‖ record).
        var zero = System.Security.Cryptography.SHA256.HashData(preamble);
        Assert.Equal(System.Security.Cryptography.SHA256.HashData([.. zero, (byte)'a']), Run("a"));
    }
}
