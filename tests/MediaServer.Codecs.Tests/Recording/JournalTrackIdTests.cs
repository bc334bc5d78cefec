using System.Buffers.Binary;
using MediaServer.Codecs.Recording;

namespace MediaServer.Codecs.Tests.Recording;

/// <summary>Journal format 2 carries 32-bit track ids; format 1 journals (16-bit ids) still read back.</summary>
public sealed class JournalTrackIdTests
{
    [Fact]
    public void Version_2_writes_and_reads_track_ids_above_sixteen_bits()
    {
        var buffer = new byte[256];
        var at = JournalFormat.WritePreamble(buffer);
        var payload = new byte[JournalFormat.MediaPrefixLength + 3];
        JournalFormat.WriteMediaPrefix(payload, 1, 2, 70_000u);
        payload[^3] = 0x80;
        at += JournalFormat.WriteRecord(buffer.AsSpan(at), JournalRecordType.Rtp, payload);

        Assert.True(JournalFormat.TryReadPreamble(buffer, out var version));
        Assert.Equal(2, version);
        var reader = new JournalReader(buffer.AsSpan(0, at), version: version);
        Assert.Equal(JournalReadStatus.Record, reader.Read(out var record));
        Assert.True(record.TryGetTrack(out var id, out var body));
        Assert.Equal(70_000u, id);
        Assert.Equal(3, body.Length);
        Assert.Equal(0x80, body[0]);
    }

    [Fact]
    public void A_version_1_journal_with_sixteen_bit_track_ids_still_reads()
    {
        // Built by hand as version 1 wrote it: preamble version 1, media prefix = time (16 bytes) + track id (u16).
        var buffer = new byte[256];
        JournalFormat.WritePreamble(buffer);
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(8), 1);
        var at = JournalFormat.PreambleLength;
        var track = new byte[JournalFormat.TimePrefixLength + 2 + 2];
        JournalFormat.WriteTimePrefix(track, 5, 6);
        BinaryPrimitives.WriteUInt16BigEndian(track.AsSpan(JournalFormat.TimePrefixLength), 65_535);
        "{}"u8.CopyTo(track.AsSpan(JournalFormat.TimePrefixLength + 2));
        at += JournalFormat.WriteRecord(buffer.AsSpan(at), JournalRecordType.Track, track);

        Assert.True(JournalFormat.TryReadPreamble(buffer, out var version));
        Assert.Equal(1, version);
        var reader = new JournalReader(buffer.AsSpan(0, at), version: version);
        Assert.Equal(JournalReadStatus.Record, reader.Read(out var record));
        Assert.True(record.TryGetTrack(out var id, out _));
        Assert.Equal(65_535u, id);
        Assert.Equal("{}"u8.ToArray(), record.JsonBody.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void Unknown_versions_are_refused(int version)
    {
        var buffer = new byte[JournalFormat.PreambleLength];
        JournalFormat.WritePreamble(buffer);
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(8), (ushort)version);
        Assert.False(JournalFormat.TryReadPreamble(buffer, out _));
    }
}
