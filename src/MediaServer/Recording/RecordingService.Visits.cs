using System.Diagnostics;
using System.Globalization;
using MediaServer.Media;
using MediaServer.Recording.Journal;
using MediaServer.Routing;
using MediaServer.Visits;

namespace MediaServer.Recording;

/// <summary>
/// What the recorder is told by the visits (<see cref="IVisitObserver"/>, <see cref="IJoinGate"/>; control path, under the
/// visit's membership lock): a join opens or continues the journal or is refused when it cannot be, joined tracks are declared
/// in it, leaves and flags are written, and the end of a visit seals it.
/// </summary>
public sealed partial class RecordingService
{
    /// <summary>
    /// Before a join is planned (under the visit's membership lock): makes sure the visit's journal is open — the first
    /// segment, or a continuation segment chained to the sealed one when the visit goes on after a restart or a failure.
    /// Returns a 503 refusal when the visit cannot be recorded and the policy is <c>refuse</c> (MediaServer:Recording:OnFailure);
    /// null when the join may go on (recorded, privileged, recording off, or <c>continue-and-alert</c>). A failure is loud
    /// either way: log, metric, audit, recording row.
    /// </summary>
    JoinRefusal? IJoinGate.PrepareJoin(Visit visit)
    {
        if (visit.Privileged || !_options.Enabled)
        {
            return null;
        }
        if (_active.TryGetValue(visit.Id, out var current))
        {
            // Sealing (the server is stopping): no continuation may start on a journal the writer is still closing.
            return current.State == RecorderState.Recording && !current.SealRequested ? null : Unrecorded();
        }
        if (_stop.IsCancellationRequested)
        {
            return Unrecorded(); // shutting down: nothing would write or seal a journal opened now
        }
        var now = Stopwatch.GetTimestamp();
        if (_failing.TryGetValue(visit.Id, out var failing)
            && (Stopwatch.GetElapsedTime(failing.AtTicks, now) < RetryInterval || (failing.MidVisit && _options.RefuseWhenUnrecorded)))
        {
            // Tried a moment ago (or the visit is being ended for it): refused again without touching the disk or the audit
            // chain once per attempt.
            return Unrecorded();
        }
        var (recorder, _) = Start(visit);
        if (recorder is not null)
        {
            if (_failing.TryRemove(visit.Id, out _))
            {
                _metrics.Unrecorded = _failing.Count;
            }
            return null;
        }
        return Unrecorded();
    }

    private JoinRefusal? Unrecorded()
    {
        if (!_options.RefuseWhenUnrecorded)
        {
            return null;
        }
        _metrics.JoinRefused();
        return new JoinRefusal(ProblemTypes.RecordingUnavailable, 503, UnrecordedTitle, UnrecordedDetail);
    }

    /// <summary>
    /// A party joined (after <see cref="IJoinGate.PrepareJoin"/>): declares the leg's tracks in the visit's open journal and points them
    /// at it. Privileged visits are never recorded, and that is said once in the audit log.
    /// </summary>
    void IVisitObserver.OnJoined(Visit visit, Leg leg)
    {
        if (visit.Privileged)
        {
            // Never recorded; said once per visit in the audit log, so the absence of a recording is on record too.
            if (_privilegedNoted.TryAdd(visit.Id, 0))
            {
                _audit.Append("system", "system", "recording.refused", "visit/" + visit.Id, "privileged visit: never recorded");
            }
            return;
        }
        if (!_options.Enabled)
        {
            return;
        }
        var recorder = _active.GetValueOrDefault(visit.Id);
        if (recorder is null || recorder.State != RecorderState.Recording)
        {
            return;
        }
        var party = leg.Party;
        foreach (var track in new[] { party.Video, party.Audio })
        {
            if (track is null)
            {
                continue;
            }
            var payloadTypes = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var pt = 0; pt < 128; pt++)
            {
                var codec = track.CodecOf((byte)pt);
                if (codec != MediaCodec.None)
                {
                    payloadTypes[pt.ToString(CultureInfo.InvariantCulture)] = CodecName(codec);
                }
            }
            var kind = track.Kind == MediaKind.Video ? "video" : "audio";
            var continuity = string.Join(' ', leg.Participant.Id, kind, leg.Authenticated ? "srtp" : "rtp",
                string.Join(',', payloadTypes.Select(p => p.Key + "=" + p.Value)));
            var id = recorder.ContinueOrAddTrack(continuity, new
            {
                visitId = visit.Id,
                participant = leg.Participant.Id,
                role = leg.Participant.Role == PartyRole.Kiosk ? "kiosk" : "visitor",
                leg = leg.Id,
                kind,
                clockRate = track.Kind == MediaKind.Video ? 90000 : 48000,
                payloadTypes,
                authenticated = leg.Authenticated,
            }, leg.Participant.Id);
            track.Journal = new TrackJournal(recorder, id);
        }
        recorder.Event(new { @event = "joined", participant = leg.Participant.Id, detail = leg.Id });
    }

    void IVisitObserver.OnLeft(Visit visit, Leg leg, string why)
    {
        if (_active.TryGetValue(visit.Id, out var recorder))
        {
            recorder.Event(new { @event = "left", participant = leg.Participant.Id, detail = why });
        }
    }

    /// <summary>
    /// An entry of the visit's timeline (<see cref="Visits.Timeline.VisitTimeline"/>): written as an Event record
    /// <c>{"event":"timeline","participant","detail":kind,"entry":{…}}</c> (docs/recording-journal.md), so it is chained and
    /// signed with the recording. A privileged visit has no journal: nothing is written.
    /// </summary>
    void IVisitObserver.OnTimeline(Visit visit, Visits.Timeline.TimelineEntry entry)
    {
        if (!visit.Privileged && _active.TryGetValue(visit.Id, out var recorder) && recorder.State == RecorderState.Recording)
        {
            recorder.Event(new { @event = "timeline", participant = entry.Participant, detail = entry.Kind, entry });
        }
    }

    /// <summary>
    /// An officer's flag (<see cref="VisitFlags"/>), kept in the visit's journal as a bookmark. The recording is flagged from
    /// then on (a recording that does not exist yet takes the flag when it starts).
    /// </summary>
    void IVisitFlagSink.OnFlag(Visit visit, VisitFlag flag)
    {
        OnBookmark(visit, flag.At, flag.By, flag.Note);
        _store.SetFlagged(visit.Id);
    }

    /// <summary>An officer's flag, kept in the journal as a bookmark.</summary>
    private void OnBookmark(Visit visit, DateTimeOffset at, string by, string note)
    {
        if (_active.TryGetValue(visit.Id, out var recorder))
        {
            recorder.Bookmark(new { at, by, note });
        }
    }

    /// <summary>The visit is over: the writer seals its journal and the render queue takes it.</summary>
    void IVisitObserver.OnEnded(Visit visit, string reason)
    {
        // A privileged visit's note was written once; an ended visit never joins again, so its id need not be kept.
        _privilegedNoted.TryRemove(visit.Id, out _);
        if (_failing.TryRemove(visit.Id, out _))
        {
            _metrics.Unrecorded = _failing.Count;
        }
        if (_active.TryGetValue(visit.Id, out var recorder))
        {
            recorder.RequestSeal(reason);
        }
        else if (_store.Load(visit.Id) is { State: RecordingState.Failed } failed)
        {
            // The writer gave up on this journal (disk full); seal what it kept, if the disk lets us now.
            _ = Task.Run(() => SealLeftover(failed, reason, recovered: false));
        }
    }

    internal static string CodecName(MediaCodec codec) => codec switch
    {
        MediaCodec.Vp8 => "VP8",
        MediaCodec.H264 => "H264",
        MediaCodec.Opus => "opus",
        _ => codec.ToString(),
    };
}
