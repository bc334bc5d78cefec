using MediaServer.Recording.Review;

namespace MediaServer.Tests.Recording.Review;

public sealed class JournalTimelineAnalyzerTests : IDisposable
{
    private const long Second = 1_000_000;
    private const long Ms = 1_000;

    /// <summary>The server's wall clock at the start of each synthetic visit.</summary>
    private static readonly long T0 = JournalBuilder.Micros(new DateTimeOffset(2025, 3, 14, 9, 30, 0, TimeSpan.Zero));

    private readonly string _directory = Directory.CreateTempSubdirectory("timeline-test-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>Records to write, sorted by arrival as a journal is.</summary>
    private sealed class Script
    {
        private readonly List<(long Wall, int Order, Action<JournalBuilder> Write)> _items = [];

        public void At(long wall, Action<JournalBuilder> write) => _items.Add((wall, _items.Count, write));

        public string WriteTo(string path, Action<JournalBuilder>? tail = null)
        {
            using var journal = new JournalBuilder(path, T0);
            journal.Begin(T0, "visit-42", ("inmate-1", "A. Inmate"), ("visitor-1", "B. Visitor"), ("visitor-2", "C. Visitor"));
            foreach (var item in _items.OrderBy(i => i.Wall).ThenBy(i => i.Order))
            {
                item.Write(journal);
            }

            tail?.Invoke(journal);
            return path;
        }
    }

    /// <summary>
    /// One sender's stream: packet k is captured at <c>start + k·interval</c> on the server's clock, carries RTP timestamp
    /// <c>base + k·step</c>, and arrives <c>delay(k)</c> later.
    /// </summary>
    private sealed record Stream(ushort Track, uint Ssrc, uint TimestampBase, ushort SequenceBase, long Start, uint Step, int ClockRate, byte PayloadType)
    {
        public long Capture(int k) => Start + (k * Step * Second / ClockRate);

        public uint Timestamp(int k) => unchecked(TimestampBase + ((uint)k * Step));

        public void Send(Script script, int from, int count, Func<int, long> delay, byte[]? payload = null)
        {
            for (int k = from; k < from + count; k++)
            {
                int index = k;
                script.At(Capture(k) + delay(k), j => j.Rtp(Capture(index) + delay(index), Track, Ssrc, unchecked((ushort)(SequenceBase + index)), Timestamp(index), PayloadType, true, payload ?? [0xF8, 0x01]));
            }
        }

        /// <summary>A sender report taken at capture instant <paramref name="at"/> by a sender whose clock reads <paramref name="clockOffset"/> ahead.</summary>
        public void Report(Script script, long at, long clockOffset, long delay)
        {
            uint rtp = unchecked(TimestampBase + (uint)((at - Start) * ClockRate / Second));
            script.At(at + delay, j => j.SenderReport(at + delay, Track, Ssrc, at + clockOffset, rtp));
        }
    }

    private static Stream Audio(ushort track, uint ssrc, long start, uint tsBase = 1_000_000, ushort seqBase = 100) =>
        new(track, ssrc, tsBase, seqBase, start, 960, 48000, 111);

    private static Stream Video(ushort track, uint ssrc, long start, uint tsBase = 7_000_000, ushort seqBase = 5000) =>
        new(track, ssrc, tsBase, seqBase, start, 3000, 90000, 96);

    private static void Tracks(Script script, string participant, string role, ushort audio, ushort video, long at)
    {
        script.At(at, j => j.Track(at, audio, participant, role, "audio", 48000, (111, "opus")));
        script.At(at, j => j.Track(at, video, participant, role, "video", 90000, (96, "VP8")));
    }

    private static long MappedTime(JournalTimeline timeline, ushort track, int packetIndex) =>
        timeline.TrackTimelines.Single(t => t.TrackId == track).Packets[packetIndex].WallMicroseconds;

    [Fact]
    public void Sender_reports_keep_a_partys_audio_and_video_together_when_its_video_arrives_later_and_its_clock_is_off()
    {
        var script = new Script();
        long start = T0 + (200 * Ms);
        Tracks(script, "inmate-1", "kiosk", 1, 2, start - Ms);
        var audio = Audio(1, 0xA1, start);
        var video = Video(2, 0xB1, start);
        long clockOffset = 3_700 * Ms; // the kiosk's clock runs 3.7 s ahead of the server's
        audio.Send(script, 0, 500, k => 20 * Ms);
        video.Send(script, 0, 300, k => 110 * Ms); // video comes 90 ms behind its audio (encoder and pacer)
        var reportDelays = new Random(5);
        foreach (long at in (long[])[start, start + (5 * Second)])
        {
            audio.Report(script, at, clockOffset, (20 * Ms) + reportDelays.Next(0, 30_000));
            video.Report(script, at, clockOffset, (20 * Ms) + reportDelays.Next(0, 30_000));
        }

        audio.Report(script, start + (3 * Second), clockOffset, 20 * Ms); // the least delayed report sets the offset

        var timeline = JournalTimelineAnalyzer.Analyze(script.WriteTo(Path.Combine(_directory, "j.msj"), j => j.End(start + (10 * Second))));

        // Audio packet 50 and video frame 30 were both captured 1 s in: on the timeline they coincide, 20 ms (the
        // smallest report delay) after capture, although their packets arrived 90 ms apart.
        long audioAt = MappedTime(timeline, 1, 50);
        long videoAt = MappedTime(timeline, 2, 30);
        Assert.InRange(videoAt - audioAt, -1 * Ms, 1 * Ms);
        Assert.InRange(audioAt - (start + Second), 19 * Ms, 21 * Ms);
        Assert.All(timeline.Tracks, t => Assert.Equal("rtcp-sr", t.Alignment));
        Assert.Equal(JournalTimelineAnalyzer.ToTime(MappedTime(timeline, 1, 0)), timeline.Start);
        Assert.Equal(JournalTimelineAnalyzer.ToTime(start + (10 * Second)), timeline.End);
        Assert.Empty(timeline.Gaps);
    }

    [Fact]
    public void Without_sender_reports_a_track_follows_its_earliest_arrivals_and_says_so()
    {
        var script = new Script();
        long start = T0 + (100 * Ms);
        Tracks(script, "inmate-1", "kiosk", 1, 2, start);
        var audio = Audio(1, 0xA1, start);
        var video = Video(2, 0xB1, start);
        var jitter = new Random(11);
        audio.Send(script, 0, 250, k => (30 * Ms) + jitter.Next(0, 40_000));
        video.Send(script, 0, 150, k => (30 * Ms) + jitter.Next(0, 40_000));
        video.Report(script, start, 0, 30 * Ms); // reports for video only

        var timeline = JournalTimelineAnalyzer.Analyze(script.WriteTo(Path.Combine(_directory, "j.msj")));

        Assert.Equal("arrival", timeline.Tracks.Single(t => t.TrackId == 1).Alignment);
        Assert.Equal("rtcp-sr", timeline.Tracks.Single(t => t.TrackId == 2).Alignment);

        // Arrival alignment keeps the RTP spacing (no jitter) and sits on the least delayed packet.
        var packets = timeline.TrackTimelines.Single(t => t.TrackId == 1).Packets.OrderBy(p => p.ExtendedSequence).ToArray();
        for (int k = 1; k < packets.Length; k++)
        {
            Assert.Equal(20 * Ms, packets[k].WallMicroseconds - packets[k - 1].WallMicroseconds);
        }

        Assert.InRange(packets[0].WallMicroseconds - start, 30 * Ms, 31 * Ms);
    }

    [Fact]
    public void Reports_that_place_media_after_it_arrived_are_reanchored_to_the_partys_latency()
    {
        var script = new Script();
        long start = T0;
        Tracks(script, "inmate-1", "kiosk", 1, 2, start);
        var audio = Audio(1, 0xA1, start);
        var video = Video(2, 0xB1, start);
        audio.Send(script, 0, 250, k => 40 * Ms);
        video.Send(script, 0, 150, k => 60 * Ms);
        video.Report(script, start, 0, 5 * Ms); // right: video is placed at its capture, 60 ms before it arrived

        // Audio's report claims its RTP timestamp 0 was sampled 300 ms after it really was, as a sender that ties its
        // first report to a late first send does: audio would land 260 ms after it arrived, which cannot be.
        uint rtp = audio.Timestamp(0);
        script.At(start + (300 * Ms), j => j.SenderReport(start + (300 * Ms), 1, 0xA1, start + (300 * Ms), rtp));

        var timeline = JournalTimelineAnalyzer.Analyze(script.WriteTo(Path.Combine(_directory, "j.msj")));

        Assert.Equal("rtcp-sr-reanchored", timeline.Tracks.Single(t => t.TrackId == 1).Alignment);
        Assert.Equal("rtcp-sr", timeline.Tracks.Single(t => t.TrackId == 2).Alignment);

        // The party offset comes from audio's undelayed report, so video lands on its capture, 60 ms before its arrival.
        // Audio is moved to that same latency: 20 ms ahead of the truth here, where the unchecked report would have put
        // it 300 ms behind.
        Assert.InRange(MappedTime(timeline, 2, 30) - video.Capture(30), -1, 1);
        Assert.InRange(MappedTime(timeline, 1, 50) - audio.Capture(50), (-20 * Ms) - 1, (-20 * Ms) + 1);
    }

    [Fact]
    public void The_party_offset_comes_from_the_least_delayed_report_of_either_track()
    {
        var script = new Script();
        long start = T0;
        Tracks(script, "visitor-1", "visitor", 3, 4, start);
        var audio = Audio(3, 0xA3, start);
        var video = Video(4, 0xB3, start);
        audio.Send(script, 0, 500, k => 40 * Ms);
        video.Send(script, 0, 300, k => 40 * Ms);
        long clockOffset = -12 * Second;
        audio.Report(script, start, clockOffset, 90 * Ms);
        audio.Report(script, start + (5 * Second), clockOffset, 70 * Ms);
        video.Report(script, start + (2 * Second), clockOffset, 15 * Ms); // the best one is video's

        var timeline = JournalTimelineAnalyzer.Analyze(script.WriteTo(Path.Combine(_directory, "j.msj")));

        Assert.InRange(MappedTime(timeline, 3, 100) - audio.Capture(100), 15 * Ms - 1, 15 * Ms + 1);
        Assert.InRange(MappedTime(timeline, 4, 60) - video.Capture(60), 15 * Ms - 1, 15 * Ms + 1);
    }

    [Fact]
    public void Each_packet_uses_the_latest_report_before_it_and_packets_before_any_use_the_first()
    {
        var script = new Script();
        long start = T0;
        Tracks(script, "inmate-1", "kiosk", 1, 2, start);
        var audio = Audio(1, 0xA1, start);
        audio.Send(script, 0, 500, k => 10 * Ms); // 10 s
        uint Rtp(long at) => audio.Timestamp(0) + (uint)((at - start) * 48 / 1000);

        // The first report arrives after the first second; the second one, at 6 s, says the sender's RTP clock has
        // run 50 ms slow against its NTP clock since.
        script.At(start + Second, j => j.SenderReport(start + Second, 1, 0xA1, start + Second, Rtp(start + Second)));
        script.At(start + (6 * Second), j => j.SenderReport(start + (6 * Second), 1, 0xA1, start + (6 * Second) + (50 * Ms), Rtp(start + (6 * Second))));

        var timeline = JournalTimelineAnalyzer.Analyze(script.WriteTo(Path.Combine(_directory, "j.msj")));

        // Offset = min(arrival − NTP) = −50 ms from the second report.
        Assert.Equal(audio.Capture(10) - (50 * Ms), MappedTime(timeline, 1, 10)); // before any report: the first one
        Assert.Equal(audio.Capture(200) - (50 * Ms), MappedTime(timeline, 1, 200)); // 4 s: the first one
        Assert.Equal(audio.Capture(400), MappedTime(timeline, 1, 400)); // 8 s: the second one (+50 ms − 50 ms)
    }

    [Fact]
    public void A_silence_longer_than_a_second_is_a_gap_and_a_shorter_one_is_not()
    {
        var script = new Script();
        long start = T0;
        Tracks(script, "inmate-1", "kiosk", 1, 2, start);
        var audio = Audio(1, 0xA1, start);
        var video = Video(2, 0xB1, start);
        audio.Send(script, 0, 100, k => 10 * Ms);   // 0–2 s
        audio.Send(script, 140, 100, k => 10 * Ms); // 0.8 s silence, then 2.8–4.8 s
        audio.Send(script, 400, 100, k => 10 * Ms); // 3.2 s silence, then 8–10 s
        video.Send(script, 0, 300, k => 10 * Ms);   // 0–10 s, no gap
        audio.Report(script, start, 0, 10 * Ms);

        var timeline = JournalTimelineAnalyzer.Analyze(script.WriteTo(Path.Combine(_directory, "j.msj"), j => j.End(start + (10 * Second))));

        var gap = Assert.Single(timeline.Gaps);
        Assert.Equal((ushort)1, gap.TrackId);
        Assert.Equal("inmate-1", gap.Participant);
        Assert.Equal("audio", gap.Kind);
        Assert.Equal(JournalTimelineAnalyzer.ToTime(audio.Capture(239) + (10 * Ms)), gap.From);
        Assert.Equal(JournalTimelineAnalyzer.ToTime(audio.Capture(400) + (10 * Ms)), gap.To);
    }

    [Fact]
    public void A_track_that_stops_has_a_gap_to_the_end_unless_its_party_left()
    {
        var script = new Script();
        long start = T0;
        Tracks(script, "inmate-1", "kiosk", 1, 2, start);
        Tracks(script, "visitor-1", "visitor", 3, 4, start);
        var kioskAudio = Audio(1, 0xA1, start);
        var visitorAudio = Audio(3, 0xA3, start);
        kioskAudio.Send(script, 0, 500, k => 0);
        kioskAudio.Send(script, 500, 1, k => 0); // the kiosk talks to 10 s, the visitor's audio stops at 4 s
        visitorAudio.Send(script, 0, 200, k => 0);
        script.At(start + (6 * Second), j => j.Event(start + (6 * Second), "left", "visitor-1"));

        var timeline = JournalTimelineAnalyzer.Analyze(script.WriteTo(Path.Combine(_directory, "j.msj"), j => j.End(start + (12 * Second))));

        var gaps = timeline.Gaps.ToDictionary(g => g.TrackId);
        Assert.Equal(JournalTimelineAnalyzer.ToTime(visitorAudio.Capture(199)), gaps[3].From);
        Assert.Equal(JournalTimelineAnalyzer.ToTime(start + (6 * Second)), gaps[3].To); // until the party left
        Assert.Equal(JournalTimelineAnalyzer.ToTime(kioskAudio.Capture(500)), gaps[1].From);
        Assert.Equal(JournalTimelineAnalyzer.ToTime(start + (12 * Second)), gaps[1].To); // until the end
        Assert.Equal(2, timeline.Gaps.Count);
    }

    [Fact]
    public void A_sender_that_restarts_with_a_new_ssrc_starts_a_new_segment_placed_by_its_own_reports()
    {
        var script = new Script();
        long start = T0;
        Tracks(script, "visitor-1", "visitor", 3, 4, start);
        var before = Audio(3, 0xAAAA, start, tsBase: 4_294_900_000, seqBase: 65_500); // wraps both counters
        var after = Audio(3, 0xBBBB, start + (5 * Second), tsBase: 123, seqBase: 7);
        before.Send(script, 0, 200, k => 25 * Ms);
        after.Send(script, 0, 200, k => 25 * Ms);
        before.Report(script, start, 2 * Second, 25 * Ms);
        after.Report(script, start + (5 * Second), 2 * Second, 25 * Ms);

        var timeline = JournalTimelineAnalyzer.Analyze(script.WriteTo(Path.Combine(_directory, "j.msj")));

        var track = timeline.TrackTimelines.Single(t => t.TrackId == 3);
        Assert.Equal([0xAAAAu, 0xBBBBu], track.Segments.Select(s => s.Ssrc));
        Assert.All(track.Segments, s => Assert.True(s.AlignedBySenderReports));
        Assert.Equal("rtcp-sr", timeline.Tracks.Single(t => t.TrackId == 3).Alignment);
        for (int k = 0; k < 200; k++)
        {
            Assert.Equal(before.Capture(k) + (25 * Ms), track.Packets[k].WallMicroseconds);
            Assert.Equal(after.Capture(k) + (25 * Ms), track.Packets[200 + k].WallMicroseconds);
        }

        // Sequence numbers kept counting through the wrap at 65535.
        Assert.Equal(Enumerable.Range(65_500, 200).Select(s => (long)s), track.Packets.Take(200).Select(p => p.ExtendedSequence));
        Assert.Equal(JournalTimelineAnalyzer.ToTime(before.Capture(199) + (25 * Ms)), Assert.Single(timeline.Gaps).From);
    }

    [Fact]
    public void A_sender_that_restarts_its_timestamps_under_the_same_ssrc_starts_a_new_segment()
    {
        var script = new Script();
        long start = T0;
        Tracks(script, "visitor-1", "visitor", 3, 4, start);
        var before = Audio(3, 0xAAAA, start, tsBase: 1_000);
        var after = Audio(3, 0xAAAA, start + (4 * Second), tsBase: 3_000_000_000, seqBase: 40_000);
        before.Send(script, 0, 200, k => 5 * Ms);
        after.Send(script, 0, 200, k => 5 * Ms);

        var timeline = JournalTimelineAnalyzer.Analyze(script.WriteTo(Path.Combine(_directory, "j.msj")));

        var track = timeline.TrackTimelines.Single(t => t.TrackId == 3);
        Assert.Equal(2, track.Segments.Count);
        Assert.Equal("arrival", timeline.Tracks.Single(t => t.TrackId == 3).Alignment);
        Assert.Equal(after.Capture(0) + (5 * Ms), track.Packets[200].WallMicroseconds);
        Assert.Empty(timeline.Gaps);
    }

    [Fact]
    public void Packets_of_other_payload_types_are_left_out_of_the_media()
    {
        var script = new Script();
        long start = T0;
        script.At(start, j => j.Track(start, 2, "inmate-1", "kiosk", "video", 90000, (96, "VP8"), (97, "rtx")));
        var video = Video(2, 0xB1, start);
        video.Send(script, 0, 30, k => 0);
        var rtx = new Stream(2, 0xC1, 0, 0, start, 9000, 90000, 97);
        rtx.Send(script, 0, 5, k => 1);
        var unknown = new Stream(2, 0xD1, 0, 0, start, 9000, 90000, 100);
        unknown.Send(script, 0, 5, k => 2);

        var timeline = JournalTimelineAnalyzer.Analyze(script.WriteTo(Path.Combine(_directory, "j.msj")));

        var track = timeline.TrackTimelines.Single();
        Assert.Equal("VP8", track.Codec);
        Assert.Equal(96, track.PayloadType);
        Assert.Equal(30, track.Packets.Count(p => p.Segment >= 0));
        Assert.Equal(40, track.Packets.Length);
    }

    [Fact]
    public void The_kiosk_comes_first_and_visitors_follow_in_the_order_they_joined()
    {
        var script = new Script();
        long start = T0;
        Tracks(script, "visitor-2", "visitor", 5, 6, start);
        Tracks(script, "inmate-1", "kiosk", 1, 2, start + Second);
        Tracks(script, "visitor-1", "visitor", 3, 4, start + (2 * Second));
        Audio(5, 5, start).Send(script, 0, 10, k => 0);

        var timeline = JournalTimelineAnalyzer.Analyze(script.WriteTo(Path.Combine(_directory, "j.msj")));

        Assert.Equal(["inmate-1", "visitor-2", "visitor-1"], timeline.Parties.Select(p => p.Participant));
        Assert.Equal(["A. Inmate", "C. Visitor", "B. Visitor"], timeline.Parties.Select(p => p.Name));
        Assert.Equal([(ushort)1, (ushort)2], timeline.Parties[0].TrackIds);
        Assert.Equal("visit-42", timeline.VisitId);
        Assert.Equal("none", timeline.Tracks.Single(t => t.TrackId == 1).Alignment);
    }

    [Fact]
    public void Without_an_end_record_the_timeline_ends_at_the_last_record_and_a_torn_tail_is_tolerated()
    {
        var script = new Script();
        long start = T0;
        Tracks(script, "inmate-1", "kiosk", 1, 2, start);
        var audio = Audio(1, 0xA1, start);
        audio.Send(script, 0, 100, k => 3 * Ms);

        var timeline = JournalTimelineAnalyzer.Analyze(script.WriteTo(Path.Combine(_directory, "j.msj"), j => j.TornRecord()));

        Assert.Equal("Truncated", timeline.JournalEnding);
        Assert.Equal(JournalTimelineAnalyzer.ToTime(audio.Capture(99) + (3 * Ms)), timeline.End);
        Assert.Equal(JournalTimelineAnalyzer.ToTime(audio.Capture(0) + (3 * Ms)), timeline.Start);
    }

    [Fact]
    public void A_recovered_journal_ends_with_its_last_record_before_the_end_written_at_recovery()
    {
        var script = new Script();
        long start = T0;
        Tracks(script, "inmate-1", "kiosk", 1, 2, start);
        var audio = Audio(1, 0xA1, start);
        audio.Send(script, 0, 100, k => 3 * Ms);

        var timeline = JournalTimelineAnalyzer.Analyze(script.WriteTo(Path.Combine(_directory, "j.msj"), j => j.End(start + (3600 * Second), recovered: true)));

        Assert.Equal(JournalTimelineAnalyzer.ToTime(audio.Capture(99) + (3 * Ms)), timeline.End);
        Assert.Empty(timeline.Gaps);
    }

    [Fact]
    public void A_file_that_is_not_a_journal_is_refused_clearly()
    {
        string path = Path.Combine(_directory, "not.msj");
        File.WriteAllText(path, "hello, this is not a journal");

        var error = Assert.Throws<InvalidDataException>(() => JournalTimelineAnalyzer.Analyze(path));
        Assert.Contains("not a recording journal", error.Message, StringComparison.Ordinal);
    }
}
