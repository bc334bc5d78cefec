using System.Text.Json;
using MediaServer.Codecs.Recording;
using MediaServer.Codecs.Rtcp;
using MediaServer.Codecs.Rtp;
using MediaServer.Recording.Journal;

namespace MediaServer.Recording.Review;

/// <summary>
/// Reads a journal and places every track's media on the server's wall clock (docs/recording-review-copy.md):
/// RTP timestamps are unwrapped per stream segment (a new SSRC, or a sender restarting with new timestamps, starts a
/// segment), then mapped through the sender's RTCP sender reports (RFC 3550 §6.4.1) — NTP time of the sender's clock
/// plus one offset per party from that clock to the server's — or, for a segment without sender reports, through the
/// arrival times. Silences in a track longer than a second are listed as gaps.
/// </summary>
public static class JournalTimelineAnalyzer
{
    /// <summary>A track with no packet for longer than this has a gap.</summary>
    public static readonly TimeSpan GapThreshold = TimeSpan.FromSeconds(1);

    public static JournalTimeline Analyze(string journalPath)
    {
        var scan = new JournalScan();
        var ending = JournalFileReader.ReadAll(journalPath, scan.Add);
        return scan.Build(ending);
    }

    /// <summary>Everything the analysis needs from one pass over the journal, kept compact (no payloads).</summary>
    private sealed class JournalScan
    {
        private readonly Dictionary<uint, TrackScan> _tracks = [];
        private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);
        private readonly List<(string Participant, long Wall)> _departures = [];
        private string? _visitId;
        private long _beginWall = long.MinValue;
        private long _lastWall = long.MinValue;
        private long _lastWallBeforeEnd = long.MinValue;
        private long _endWall = long.MinValue;
        private bool _endRecovered;
        private int _trackOrder;

        public void Add(JournalRecord record)
        {
            if (!record.HasTime)
            {
                return;
            }

            long wall = record.WallClockMicroseconds;
            if (record.Type == JournalRecordType.End)
            {
                _lastWallBeforeEnd = _lastWall;
                _endWall = wall;
                _endRecovered = ReadRecovered(record.JsonBody);
            }

            _lastWall = wall;
            switch (record.Type)
            {
                case JournalRecordType.Begin:
                    _beginWall = wall;
                    ReadBegin(record.JsonBody);
                    break;
                case JournalRecordType.Track when TrackRecord.TryRead(record, out var declared):
                    if (!_tracks.ContainsKey(declared.Id))
                    {
                        _tracks[declared.Id] = new TrackScan(declared.Id, TrackDescription.From(declared), _trackOrder++);
                    }

                    break;
                case JournalRecordType.Rtp when record.TryGetTrack(out uint id, out var packet):
                    if (_tracks.TryGetValue(id, out var track))
                    {
                        track.AddPacket(wall, packet);
                    }

                    break;
                case JournalRecordType.SenderReport when record.TryGetTrack(out uint id, out var rtcp):
                    if (_tracks.TryGetValue(id, out var reported))
                    {
                        reported.AddSenderReports(wall, rtcp);
                    }

                    break;
                case JournalRecordType.Event:
                    ReadEvent(record.JsonBody, wall);
                    break;
            }
        }

        private void ReadBegin(ReadOnlySpan<byte> json)
        {
            try
            {
                using var document = JsonDocument.Parse(json.ToArray());
                var root = document.RootElement;
                _visitId = root.TryGetProperty("visitId", out var id) ? id.ToString() : null;
                if (root.TryGetProperty("inmate", out var inmate))
                {
                    AddName(inmate);
                }

                if (root.TryGetProperty("visitors", out var visitors) && visitors.ValueKind == JsonValueKind.Array)
                {
                    foreach (var visitor in visitors.EnumerateArray())
                    {
                        AddName(visitor);
                    }
                }
            }
            catch (JsonException)
            {
                // The names are a courtesy on the tiles; the media does not depend on them.
            }
        }

        private void AddName(JsonElement party)
        {
            if (party.ValueKind == JsonValueKind.Object
                && party.TryGetProperty("id", out var id) && party.TryGetProperty("name", out var name)
                && name.ValueKind == JsonValueKind.String)
            {
                _names[id.ToString()] = name.GetString()!;
            }
        }

        private void ReadEvent(ReadOnlySpan<byte> json, long wall)
        {
            try
            {
                using var document = JsonDocument.Parse(json.ToArray());
                var root = document.RootElement;
                if (root.TryGetProperty("event", out var kind) && kind.ValueKind == JsonValueKind.String
                    && kind.GetString() == "left" && root.TryGetProperty("participant", out var who))
                {
                    _departures.Add((who.ToString(), wall));
                }
            }
            catch (JsonException)
            {
            }
        }

        private static bool ReadRecovered(ReadOnlySpan<byte> json)
        {
            try
            {
                using var document = JsonDocument.Parse(json.ToArray());
                return document.RootElement.TryGetProperty("recovered", out var recovered)
                    && recovered.ValueKind == JsonValueKind.True;
            }
            catch (JsonException)
            {
                return false;
            }
        }

        public JournalTimeline Build(JournalReadStatus ending)
        {
            var ordered = _tracks.Values.OrderBy(t => t.Id).ToList();
            foreach (var track in ordered)
            {
                track.Segment();
            }

            // One offset per party from its senders' NTP clock to the server's wall clock, from all its sender reports:
            // arrival − NTP is the offset plus the report's network and queueing delay, so the smallest is the best.
            var offsets = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var track in ordered)
            {
                foreach (long candidate in track.OffsetCandidates())
                {
                    offsets[track.Description.Participant] = offsets.TryGetValue(track.Description.Participant, out long best)
                        ? Math.Min(best, candidate)
                        : candidate;
                }
            }

            var mapped = new List<TrackTimeline>();
            foreach (var track in ordered)
            {
                long? offset = offsets.TryGetValue(track.Description.Participant, out long o) ? o : null;
                mapped.Add(track.Map(offset));
            }

            // A packet cannot arrive before it was captured. A sender whose reports place its media after it arrived has
            // anchored them wrongly (FFmpeg's RTP muxer ties its first report to the moment it sends its first packet,
            // however late that is); such a segment keeps its reports' rate but is moved back to the latency the
            // party's trustworthy segments show (or to its earliest arrival when none is trustworthy).
            var reference = new Dictionary<string, long>(StringComparer.Ordinal);
            for (int i = 0; i < ordered.Count; i++)
            {
                foreach (long latency in ordered[i].TrustedLatencies())
                {
                    string who = ordered[i].Description.Participant;
                    reference[who] = Math.Max(0, reference.TryGetValue(who, out long r) ? Math.Min(r, latency) : latency);
                }
            }

            var timelines = new List<TrackTimeline>();
            long first = long.MaxValue;
            for (int i = 0; i < ordered.Count; i++)
            {
                var timeline = ordered[i].Reanchor(mapped[i], reference.GetValueOrDefault(ordered[i].Description.Participant));
                timelines.Add(timeline);
                foreach (var p in timeline.Packets)
                {
                    if (p.Segment >= 0 && p.WallMicroseconds < first)
                    {
                        first = p.WallMicroseconds;
                    }
                }
            }

            // The review copy ends with the End record; a recovered journal's End was written at the next start, so
            // its own last record before the End is the end of what was recorded.
            long end = _endWall != long.MinValue && !_endRecovered ? _endWall
                : _endWall != long.MinValue ? _lastWallBeforeEnd
                : _lastWall;
            long start = first != long.MaxValue ? first : _beginWall != long.MinValue ? _beginWall : end;
            if (end == long.MinValue || end < start)
            {
                end = start;
            }

            var gaps = new List<RecordingGap>();
            foreach (var timeline in timelines)
            {
                FindGaps(timeline, start, end, gaps);
            }

            gaps.Sort((a, b) => a.From != b.From ? a.From.CompareTo(b.From) : a.TrackId.CompareTo(b.TrackId));

            return new JournalTimeline(
                ToTime(start),
                ToTime(end),
                [.. timelines.Select(t => new TrackAlignment(t.TrackId, t.Participant, t.Role, t.Kind, t.Codec, t.Alignment))],
                gaps)
            {
                VisitId = _visitId,
                Parties = Parties(ordered),
                JournalEnding = ending.ToString(),
                TrackTimelines = timelines,
                StartMicroseconds = start,
                EndMicroseconds = end,
            };
        }

        private List<RecordingParty> Parties(List<TrackScan> tracks)
        {
            var parties = new List<RecordingParty>();
            foreach (var group in tracks.OrderBy(t => t.Order).GroupBy(t => t.Description.Participant, StringComparer.Ordinal)
                .OrderBy(g => g.First().Description.Role == "kiosk" ? 0 : 1)
                .ThenBy(g => g.First().Order))
            {
                var head = group.First().Description;
                parties.Add(new RecordingParty(
                    head.Participant,
                    head.Role,
                    _names.TryGetValue(head.Participant, out string? name) ? name : null,
                    [.. group.Select(t => t.Id).Order()]));
            }

            return parties;
        }

        private void FindGaps(TrackTimeline timeline, long start, long end, List<RecordingGap> gaps)
        {
            var times = new List<long>(timeline.Packets.Length);
            foreach (var p in timeline.Packets)
            {
                if (p.Segment >= 0)
                {
                    times.Add(Math.Clamp(p.WallMicroseconds, start, end));
                }
            }

            if (times.Count == 0)
            {
                return;
            }

            times.Sort();
            long threshold = (long)GapThreshold.TotalMicroseconds;
            for (int i = 1; i < times.Count; i++)
            {
                if (times[i] - times[i - 1] > threshold)
                {
                    gaps.Add(Gap(timeline, times[i - 1], times[i]));
                }
            }

            // After the last packet: a gap until the party left, or until the recording ends if it never did.
            long last = times[^1];
            long until = end;
            foreach (var (participant, wall) in _departures)
            {
                if (participant == timeline.Participant && wall >= last && wall < until)
                {
                    until = wall;
                }
            }

            if (until - last > threshold)
            {
                gaps.Add(Gap(timeline, last, until));
            }
        }

        private static RecordingGap Gap(TrackTimeline t, long from, long to) =>
            new(t.TrackId, t.Participant, t.Kind, ToTime(from), ToTime(to));
    }

    internal static DateTimeOffset ToTime(long unixMicroseconds) =>
        DateTimeOffset.UnixEpoch.AddTicks(unixMicroseconds * TimeSpan.TicksPerMicrosecond);
}
