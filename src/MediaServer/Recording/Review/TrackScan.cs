using MediaServer.Codecs.Rtcp;
using MediaServer.Codecs.Rtp;

namespace MediaServer.Recording.Review;

internal readonly record struct RawPacket(long Arrival, uint Ssrc, ushort Sequence, uint Timestamp, byte PayloadType, bool Valid);

internal sealed record RawSenderReport(long Arrival, uint Ssrc, long NtpMicroseconds, uint RtpTimestamp);

internal sealed class SegmentScan(uint ssrc, long firstArrival, long firstExtendedTimestamp)
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
internal sealed class TrackScan(uint id, TrackDescription description, int order)
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
