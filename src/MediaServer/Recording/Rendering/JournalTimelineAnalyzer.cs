using System.Text.Json;
using MediaServer.Codecs.Recording;
using MediaServer.Codecs.Rtcp;
using MediaServer.Codecs.Rtp;

namespace MediaServer.Recording.Rendering;

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
                case JournalRecordType.Track when record.TryGetTrack(out uint id, out var body):
                    if (!_tracks.ContainsKey(id) && TrackDescription.TryParse(body, out var description))
                    {
                        _tracks[id] = new TrackScan(id, description, _trackOrder++);
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

    /// <summary>What the Track record says (docs/recording-journal.md).</summary>
    private sealed record TrackDescription(string Participant, string Role, string Kind, int ClockRate, Dictionary<byte, string> PayloadTypes)
    {
        public static bool TryParse(ReadOnlySpan<byte> json, out TrackDescription description)
        {
            description = null!;
            try
            {
                using var document = JsonDocument.Parse(json.ToArray());
                var root = document.RootElement;
                var types = new Dictionary<byte, string>();
                if (root.TryGetProperty("payloadTypes", out var map) && map.ValueKind == JsonValueKind.Object)
                {
                    foreach (var entry in map.EnumerateObject())
                    {
                        if (byte.TryParse(entry.Name, out byte pt) && pt < 128 && entry.Value.ValueKind == JsonValueKind.String)
                        {
                            types[pt] = NormalizeCodec(entry.Value.GetString()!);
                        }
                    }
                }

                string kind = root.TryGetProperty("kind", out var k) ? k.ToString() : "";
                int clockRate = root.TryGetProperty("clockRate", out var c) && c.TryGetInt32(out int rate) && rate > 0
                    ? rate
                    : kind == "audio" ? 48000 : 90000;
                description = new TrackDescription(
                    root.TryGetProperty("participant", out var p) ? p.ToString() : "",
                    root.TryGetProperty("role", out var r) ? r.ToString() : "",
                    kind,
                    clockRate,
                    types);
                return true;
            }
            catch (JsonException)
            {
                return false;
            }
        }

        private static string NormalizeCodec(string codec) => codec.ToUpperInvariant() switch
        {
            "VP8" => "VP8",
            "H264" => "H264",
            "OPUS" => "opus",
            _ => codec,
        };
    }

    private readonly record struct RawPacket(long Arrival, uint Ssrc, ushort Sequence, uint Timestamp, byte PayloadType, bool Valid);

    private sealed record RawSenderReport(long Arrival, uint Ssrc, long NtpMicroseconds, uint RtpTimestamp);

    private sealed class SegmentScan(uint ssrc, long firstArrival, long firstExtendedTimestamp)
    {
        public uint Ssrc { get; } = ssrc;
        public long FirstArrival { get; } = firstArrival;
        public long FirstExtendedTimestamp { get; } = firstExtendedTimestamp;
        public long LastArrival { get; set; } = firstArrival;
        public long LastExtendedTimestamp { get; set; } = firstExtendedTimestamp;
        public long MaxExtendedSequence { get; set; }

        /// <summary>Sender reports as (arrival, sender NTP µs, extended RTP timestamp), in arrival order.</summary>
        public List<(long Arrival, long Ntp, long Rtp)> Reports { get; } = [];
    }

    /// <summary>One track's packets (times and header fields only) and sender reports, then its segmentation and mapping.</summary>
    private sealed class TrackScan(uint id, TrackDescription description, int order)
    {
        /// <summary>RFC 3550 §6.4.1: NTP counts seconds from 1900; the server's wall clock from 1970.</summary>
        private const long NtpToUnixSeconds = 2_208_988_800;

        /// <summary>A timestamp jump this far from what the arrival times say means the sender started over.</summary>
        private const long RestartToleranceMicroseconds = 10_000_000;

        /// <summary>Sender-report mappings further than this from the arrival times are not believed.</summary>
        private const long MappingSanityMicroseconds = 5_000_000;

        /// <summary>How far before its arrival a report may place a packet before the report is taken as wrongly anchored.</summary>
        private const long CausalityToleranceMicroseconds = 30_000;

        private readonly List<RawPacket> _packets = [];
        private readonly List<RawSenderReport> _reports = [];
        private readonly List<SegmentScan> _segments = [];
        private int[] _segmentOf = [];
        private long[] _extendedSequence = [];
        private long[] _extendedTimestamp = [];
        private byte _payloadType;
        private bool[] _aligned = [];
        private long[] _minLatency = [];
        private string _codec = "";

        public uint Id { get; } = id;
        public TrackDescription Description { get; } = description;
        public int Order { get; } = order;

        public void AddPacket(long arrival, ReadOnlySpan<byte> datagram)
        {
            _packets.Add(RtpPacket.TryParse(datagram, out var p)
                ? new RawPacket(arrival, p.Ssrc, p.SequenceNumber, p.Timestamp, p.PayloadType, true)
                : default);
        }

        public void AddSenderReports(long arrival, ReadOnlySpan<byte> datagram)
        {
            // The record holds the RTCP datagram as it arrived: usually a compound packet that starts with the SR.
            foreach (var packet in new RtcpCompoundReader(datagram))
            {
                if (packet.PacketType == RtcpPacketType.SenderReport && RtcpSenderReport.TryParse(packet.Span, out var sr)
                    && sr.NtpTimestamp != 0)
                {
                    ulong ntp = sr.NtpTimestamp;
                    long seconds = (long)(ntp >> 32) - NtpToUnixSeconds;
                    long micros = (long)((((ntp & 0xFFFF_FFFF) * 1_000_000) + (1UL << 31)) >> 32);
                    _reports.Add(new RawSenderReport(arrival, sr.Ssrc, (seconds * 1_000_000) + micros, sr.RtpTimestamp));
                }
            }
        }

        /// <summary>Picks the media payload type, then splits the packets into segments and unwraps their numbers.</summary>
        public void Segment()
        {
            var counts = new Dictionary<byte, int>();
            foreach (var p in _packets)
            {
                if (p.Valid && Description.PayloadTypes.ContainsKey(p.PayloadType))
                {
                    counts[p.PayloadType] = counts.GetValueOrDefault(p.PayloadType) + 1;
                }
            }

            if (counts.Count > 0)
            {
                _payloadType = counts.MaxBy(c => c.Value).Key;
                _codec = Description.PayloadTypes[_payloadType];
            }
            else
            {
                _codec = Description.PayloadTypes.Values.FirstOrDefault() ?? "";
            }

            int clock = Description.ClockRate;
            _segmentOf = new int[_packets.Count];
            _extendedSequence = new long[_packets.Count];
            _extendedTimestamp = new long[_packets.Count];
            SegmentScan? current = null;
            for (int i = 0; i < _packets.Count; i++)
            {
                var p = _packets[i];
                _segmentOf[i] = -1;
                if (!p.Valid || counts.Count == 0 || p.PayloadType != _payloadType)
                {
                    continue;
                }

                bool fresh = current is null || current.Ssrc != p.Ssrc;
                long extendedTimestamp = 0;
                if (!fresh)
                {
                    extendedTimestamp = current!.LastExtendedTimestamp + (int)(p.Timestamp - (uint)current.LastExtendedTimestamp);
                    long mediaElapsed = (extendedTimestamp - current.LastExtendedTimestamp) * 1_000_000 / clock;
                    long arrivalElapsed = p.Arrival - current.LastArrival;
                    fresh = Math.Abs(mediaElapsed - arrivalElapsed) > RestartToleranceMicroseconds;
                }

                if (fresh)
                {
                    extendedTimestamp = p.Timestamp;
                    current = new SegmentScan(p.Ssrc, p.Arrival, extendedTimestamp) { MaxExtendedSequence = p.Sequence };
                    _segments.Add(current);
                    _extendedSequence[i] = p.Sequence;
                }
                else
                {
                    // RFC 3550 §A.1: a sequence number is placed nearest the highest seen so far.
                    long extended = current!.MaxExtendedSequence + (short)(ushort)(p.Sequence - (ushort)current.MaxExtendedSequence);
                    current.MaxExtendedSequence = Math.Max(current.MaxExtendedSequence, extended);
                    _extendedSequence[i] = extended;
                }

                current.LastExtendedTimestamp = extendedTimestamp;
                current.LastArrival = p.Arrival;
                _extendedTimestamp[i] = extendedTimestamp;
                _segmentOf[i] = _segments.Count - 1;
            }

            AssignSenderReports();
        }

        private void AssignSenderReports()
        {
            int clock = Description.ClockRate;
            foreach (var report in _reports)
            {
                // FFmpeg and browsers send a report before their first packet, so a report belongs to the segment of its
                // SSRC that is nearest in time.
                SegmentScan? best = null;
                long bestDistance = long.MaxValue;
                foreach (var segment in _segments)
                {
                    if (segment.Ssrc != report.Ssrc)
                    {
                        continue;
                    }

                    long distance = report.Arrival < segment.FirstArrival ? segment.FirstArrival - report.Arrival
                        : report.Arrival > segment.LastArrival ? report.Arrival - segment.LastArrival
                        : 0;
                    if (distance < bestDistance)
                    {
                        best = segment;
                        bestDistance = distance;
                    }
                }

                if (best is null || bestDistance > RestartToleranceMicroseconds)
                {
                    continue;
                }

                long predicted = best.FirstExtendedTimestamp + ((report.Arrival - best.FirstArrival) * clock / 1_000_000);
                long extended = predicted + (int)(report.RtpTimestamp - (uint)predicted);
                best.Reports.Add((report.Arrival, report.NtpMicroseconds, extended));
            }

            foreach (var segment in _segments)
            {
                segment.Reports.Sort((a, b) => a.Arrival.CompareTo(b.Arrival));
            }
        }

        /// <summary>Arrival − sender NTP time of each sender report that belongs to a segment.</summary>
        public IEnumerable<long> OffsetCandidates() =>
            _segments.SelectMany(s => s.Reports).Select(r => r.Arrival - r.Ntp);

        public TrackTimeline Map(long? partyOffset)
        {
            int clock = Description.ClockRate;
            var timings = new PacketTiming[_packets.Count];
            var aligned = new bool[_segments.Count];
            var arrivalBase = new long[_segments.Count];
            Array.Fill(arrivalBase, long.MaxValue);
            for (int i = 0; i < _packets.Count; i++)
            {
                int s = _segmentOf[i];
                if (s >= 0)
                {
                    arrivalBase[s] = Math.Min(arrivalBase[s], _packets[i].Arrival - MediaMicroseconds(_extendedTimestamp[i], clock));
                }
            }

            for (int s = 0; s < _segments.Count; s++)
            {
                aligned[s] = partyOffset.HasValue && _segments[s].Reports.Count > 0 && Believable(s, partyOffset.Value);
            }

            for (int i = 0; i < _packets.Count; i++)
            {
                int s = _segmentOf[i];
                timings[i] = s < 0
                    ? new PacketTiming(-1, 0, _packets[i].Arrival)
                    : new PacketTiming(s, _extendedSequence[i], aligned[s]
                        ? MapBySenderReport(_segments[s], _packets[i].Arrival, _extendedTimestamp[i], partyOffset!.Value)
                        : arrivalBase[s] + MediaMicroseconds(_extendedTimestamp[i], clock));
            }

            _aligned = aligned;
            _minLatency = new long[_segments.Count];
            Array.Fill(_minLatency, long.MaxValue);
            for (int i = 0; i < _packets.Count; i++)
            {
                int s = _segmentOf[i];
                if (s >= 0)
                {
                    _minLatency[s] = Math.Min(_minLatency[s], _packets[i].Arrival - timings[i].WallMicroseconds);
                }
            }

            string alignment = _segments.Count == 0 ? TrackAlignment.NoMedia
                : aligned.All(a => a) ? TrackAlignment.SenderReports
                : TrackAlignment.Arrival;
            return new TrackTimeline(
                Id,
                Description.Participant,
                Description.Role,
                Description.Kind,
                _codec,
                _payloadType,
                clock,
                alignment,
                [.. _segments.Select((seg, s) => new StreamSegment(seg.Ssrc, aligned[s], seg.Reports.Count, 0))],
                timings);
        }

        /// <summary>The smallest arrival − mapped time of each segment whose reports do not contradict its arrivals.</summary>
        public IEnumerable<long> TrustedLatencies()
        {
            for (int s = 0; s < _segments.Count; s++)
            {
                if (_aligned[s] && _minLatency[s] >= -CausalityToleranceMicroseconds)
                {
                    yield return _minLatency[s];
                }
            }
        }

        /// <summary>Moves each report-aligned segment that puts media after its arrival back to the party's latency.</summary>
        public TrackTimeline Reanchor(TrackTimeline timeline, long partyLatency)
        {
            var segments = timeline.Segments.ToArray();
            var shift = new long[segments.Length];
            for (int s = 0; s < segments.Length; s++)
            {
                if (_aligned[s] && _minLatency[s] < -CausalityToleranceMicroseconds)
                {
                    shift[s] = _minLatency[s] - partyLatency;
                    segments[s] = segments[s] with { ReanchoredMicroseconds = shift[s] };
                }
            }

            if (shift.All(x => x == 0))
            {
                return timeline;
            }

            var packets = timeline.Packets;
            for (int i = 0; i < packets.Length; i++)
            {
                if (packets[i].Segment >= 0 && shift[packets[i].Segment] != 0)
                {
                    packets[i] = packets[i] with { WallMicroseconds = packets[i].WallMicroseconds + shift[packets[i].Segment] };
                }
            }

            return timeline with
            {
                Segments = segments,
                Alignment = segments.All(x => x.AlignedBySenderReports) ? TrackAlignment.SenderReportsReanchored : TrackAlignment.Arrival,
            };
        }

        /// <summary>
        /// The mapping in effect for a packet is the latest report that arrived at or before it (the first one for packets
        /// before any): server time = party offset + report's NTP time + RTP time since the report's RTP timestamp.
        /// </summary>
        private long MapBySenderReport(SegmentScan segment, long arrival, long extendedTimestamp, long partyOffset)
        {
            var reports = segment.Reports;
            int low = 0;
            int high = reports.Count - 1;
            while (low < high)
            {
                int middle = (low + high + 1) / 2;
                if (reports[middle].Arrival <= arrival)
                {
                    low = middle;
                }
                else
                {
                    high = middle - 1;
                }
            }

            var (_, ntp, rtp) = reports[low];
            return partyOffset + ntp + MediaMicroseconds(extendedTimestamp - rtp, Description.ClockRate);
        }

        /// <summary>A sender whose reports put its media seconds away from when it arrived is not to be trusted.</summary>
        private bool Believable(int segment, long partyOffset)
        {
            var lateness = new List<long>();
            for (int i = 0; i < _packets.Count; i++)
            {
                if (_segmentOf[i] == segment)
                {
                    lateness.Add(_packets[i].Arrival - MapBySenderReport(_segments[segment], _packets[i].Arrival, _extendedTimestamp[i], partyOffset));
                }
            }

            if (lateness.Count == 0)
            {
                return true;
            }

            lateness.Sort();
            return Math.Abs(lateness[lateness.Count / 2]) <= MappingSanityMicroseconds;
        }

        private static long MediaMicroseconds(long rtpUnits, int clockRate) => rtpUnits * 1_000_000 / clockRate;
    }
}
