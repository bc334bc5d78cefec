using System.Diagnostics;
using System.Text.Json;
using MediaServer.Codecs.Recording;
using MediaServer.Recording;
using MediaServer.Recording.Journal;

namespace MediaServer.Tests.Recording;

public sealed class VisitRecorderTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "recorder-tests", Guid.NewGuid().ToString("n"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static byte[] Rtp(ushort sequence, int size, Random random)
    {
        var packet = new byte[size];
        random.NextBytes(packet);
        packet[0] = 0x80;
        packet[1] = 96;
        packet[2] = (byte)(sequence >> 8);
        packet[3] = (byte)sequence;
        return packet;
    }

    [Fact]
    public void A_sealed_journal_holds_every_packet_as_it_arrived_in_order_with_checkpoints_and_an_end()
    {
        var random = new Random(11);
        using var recorder = VisitRecorder.Create("v1", _directory, 1 << 20, TimeSpan.FromMilliseconds(500));
        recorder.Begin(new { visitId = "v1" });
        var track = recorder.AddTrack(new { participant = "i1", kind = "video" });
        var sent = new List<byte[]>();
        for (var i = 0; i < 300; i++)
        {
            var packet = Rtp((ushort)i, random.Next(20, 1300), random);
            sent.Add(packet);
            Assert.True(recorder.OnRtp(track, packet, Stopwatch.GetTimestamp()));
            if (i % 50 == 0)
            {
                recorder.WriteOnce(Stopwatch.GetTimestamp());
            }
        }
        recorder.Bookmark(new { at = DateTimeOffset.UnixEpoch, by = "officer-1", note = "look" });
        recorder.RequestSeal("test");
        Assert.True(recorder.WriteOnce(Stopwatch.GetTimestamp()));
        Assert.Equal(RecorderState.Sealed, recorder.State);

        var got = new List<byte[]>();
        var types = new List<JournalRecordType>();
        var scan = JournalScanner.Scan(recorder.JournalPath, (in JournalRecord record, long offset) =>
        {
            types.Add(record.Type);
            if (record.Type == JournalRecordType.Rtp && record.TryGetTrack(out var id, out var body))
            {
                Assert.Equal(track, id);
                got.Add(body.ToArray());
            }
        });
        Assert.True(scan.Intact && scan.HasEnd, scan.ToString());
        Assert.Equal(recorder.ChainHash, scan.ChainHash);
        Assert.Equal(sent.Count, got.Count);
        for (var i = 0; i < sent.Count; i++)
        {
            Assert.Equal(sent[i], got[i]);
        }
        Assert.Equal(JournalRecordType.Begin, types[0]);
        Assert.Equal(JournalRecordType.Track, types[1]);
        Assert.Equal(JournalRecordType.End, types[^1]);
        Assert.True(types.Count(t => t == JournalRecordType.Checkpoint) >= 2);
        Assert.Contains(JournalRecordType.Bookmark, types);
    }

    [Fact]
    public void A_full_buffer_drops_media_counts_it_and_says_so_in_the_journal()
    {
        var random = new Random(12);
        using var recorder = VisitRecorder.Create("v2", _directory, 64 * 1024, TimeSpan.FromMilliseconds(500));
        var track = recorder.AddTrack(new { participant = "i1" });
        var accepted = 0;
        for (var i = 0; i < 200; i++)
        {
            accepted += recorder.OnRtp(track, Rtp((ushort)i, 1200, random), Stopwatch.GetTimestamp()) ? 1 : 0;
        }
        Assert.InRange(accepted, 40, 60);
        recorder.RequestSeal("test");
        recorder.WriteOnce(Stopwatch.GetTimestamp());
        Assert.Equal(200 - accepted, recorder.DroppedPackets);
        string? detail = null;
        JournalScanner.Scan(recorder.JournalPath, (in JournalRecord record, long offset) =>
        {
            if (record.Type == JournalRecordType.Event)
            {
                using var json = JsonDocument.Parse(record.JsonBody.ToArray());
                if (json.RootElement.GetProperty("event").GetString() == "dropped")
                {
                    detail = json.RootElement.GetProperty("detail").GetString();
                }
            }
        });
        Assert.Equal((200 - accepted).ToString(System.Globalization.CultureInfo.InvariantCulture), detail);
    }

    [Fact]
    public void The_scanner_names_the_first_damaged_record_and_a_torn_tail()
    {
        var random = new Random(13);
        using (var recorder = VisitRecorder.Create("v3", _directory, 1 << 20, TimeSpan.FromMilliseconds(500)))
        {
            var track = recorder.AddTrack(new { participant = "i1" });
            for (var i = 0; i < 100; i++)
            {
                recorder.OnRtp(track, Rtp((ushort)i, 500, random), Stopwatch.GetTimestamp());
            }
            recorder.RequestSeal("test");
            recorder.WriteOnce(Stopwatch.GetTimestamp());
        }
        var path = Path.Combine(_directory, VisitRecorder.JournalFileName);
        var bytes = File.ReadAllBytes(path);
        var clean = JournalScanner.Scan(path);
        Assert.True(clean.Intact);

        File.WriteAllBytes(path, bytes[..^7]);
        var torn = JournalScanner.Scan(path);
        Assert.Equal(JournalReadStatus.Truncated, torn.FirstBadStatus);
        Assert.False(torn.HasEnd);
        Assert.Equal(clean.Records - 1, torn.Records);

        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(path, flipped);
        var damaged = JournalScanner.Scan(path);
        Assert.Equal(JournalReadStatus.Corrupt, damaged.FirstBadStatus);
        Assert.InRange(damaged.FirstBadOffset!.Value, bytes.Length / 2 - 600, bytes.Length / 2);
        Assert.NotEqual(clean.Sha256, damaged.Sha256);
    }

    [Fact]
    public void Track_ids_do_not_wrap_at_sixteen_bits()
    {
        using var recorder = VisitRecorder.Create("v1", _directory, 1 << 20, TimeSpan.FromMilliseconds(500));
        recorder.Begin(new { visitId = "v1" });
        uint last = 0;
        for (var i = 0; i < 70_000; i++)
        {
            var id = recorder.AddTrack(new { n = i });
            Assert.True(id > last, $"track id {id} after {last}");
            last = id;
            if (i % 5000 == 0)
            {
                recorder.WriteOnce(Stopwatch.GetTimestamp());
            }
        }
        Assert.True(recorder.OnRtp(last, Rtp(1, 100, new Random(3)), Stopwatch.GetTimestamp()));
        recorder.RequestSeal("test");
        Assert.True(recorder.WriteOnce(Stopwatch.GetTimestamp()));

        uint? rtpTrack = null;
        var tracks = 0;
        var scan = JournalScanner.Scan(recorder.JournalPath, (in JournalRecord record, long offset) =>
        {
            if (record.Type == JournalRecordType.Track)
            {
                tracks++;
            }
            if (record.Type == JournalRecordType.Rtp && record.TryGetTrack(out var id, out _))
            {
                rtpTrack = id;
            }
        });
        Assert.True(scan.Intact && scan.HasEnd, scan.ToString());
        Assert.Equal(70_000, tracks);
        Assert.Equal(70_000u, last);
        Assert.Equal(last, rtpTrack);
    }
}
