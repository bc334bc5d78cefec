using System.Diagnostics;
using System.Text;
using MediaServer.Recording.Journal;

namespace MediaServer.Tests.Recording;

/// <summary>The one reader of Track records: what the manifest, the timeline analysis and verify take a track to be.</summary>
public sealed class TrackRecordTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "track-record-tests", Guid.NewGuid().ToString("n"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static bool Parse(string json, out TrackRecord track) => TrackRecord.TryParse(7, Encoding.UTF8.GetBytes(json), out track);

    [Fact]
    public void A_track_as_the_recorder_declares_it_reads_back_whole()
    {
        Assert.True(Parse("""
            {"visitId":"v-1","participant":"i1","role":"kiosk","leg":"l-1","kind":"video","clockRate":90000,
             "payloadTypes":{"96":"VP8","102":"H264"},"authenticated":true}
            """, out var track));

        Assert.Equal(7u, track.Id);
        Assert.Equal("v-1", track.VisitId);
        Assert.Equal(("i1", "kiosk", "video"), (track.Participant, track.Role, track.Kind));
        Assert.Equal(90000, track.ClockRate);
        Assert.Equal([new("96", "VP8"), new("102", "H264")], track.PayloadTypes);
        Assert.Equal("VP8", track.FirstCodec);
        Assert.True(track.Authenticated);
    }

    [Fact]
    public void What_the_body_does_not_say_is_empty_or_unknown()
    {
        Assert.True(Parse("""{"participant":"v1","clockRate":0,"payloadTypes":{"111":5,"0":"PCMU"},"authenticated":"yes"}""", out var track));

        Assert.Null(track.VisitId);
        Assert.Equal("", track.Role);
        Assert.Equal("", track.Kind);
        Assert.Null(track.ClockRate);
        Assert.Equal([new("0", "PCMU")], track.PayloadTypes); // a codec that is not a string is no codec
        Assert.Null(track.Authenticated);
    }

    [Theory]
    [InlineData("""["participant"]""")]
    [InlineData("""{"participant":""")]
    [InlineData("")]
    public void A_body_that_is_not_a_json_object_is_no_track(string json) => Assert.False(Parse(json, out _));

    [Fact]
    public void JournalFacts_lists_the_tracks_of_a_written_journal_typed()
    {
        using (var recorder = VisitRecorder.Create("v-2", _directory, 1 << 16, TimeSpan.FromMilliseconds(500)))
        {
            recorder.Begin(new { visitId = "v-2" });
            recorder.AddTrack(new { visitId = "v-2", participant = "i1", role = "kiosk", kind = "audio", payloadTypes = new Dictionary<string, string> { ["111"] = "opus" } });
            recorder.AddTrack(new { visitId = "v-2", participant = "v1", role = "visitor", kind = "video", authenticated = false });
            recorder.RequestSeal("test");
            Assert.True(recorder.WriteOnce(Stopwatch.GetTimestamp()));
        }

        var facts = JournalFacts.Read(Path.Combine(_directory, VisitRecorder.JournalFileName));

        Assert.Equal([1u, 2u], facts.Tracks.Select(t => t.Id));
        Assert.Equal("opus", facts.Tracks[0].FirstCodec);
        Assert.Equal(("v1", "visitor", false), (facts.Tracks[1].Participant, facts.Tracks[1].Role, facts.Tracks[1].Authenticated));
        Assert.Equal(2, facts.MaxTrackId);
    }
}
