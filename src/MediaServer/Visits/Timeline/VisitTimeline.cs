using System.Collections.Concurrent;
using MediaServer.Media;
using Microsoft.Extensions.Logging;

namespace MediaServer.Visits.Timeline;

/// <summary>
/// Each visit's timeline (docs/api.md, "Timeline"), kept from what the server itself observed and never from what a client
/// says: the lifecycle tells it of tokens used, joins, departures, reconnects and the end; <see cref="Sample"/> (about once a
/// second, off the packet path) reads the legs' counters for media flowing, the seconds it flowed both ways and a quality
/// sample every <see cref="QualityInterval"/>. Every entry is stored in order (<see cref="ITimelineStore"/>) and handed to each
/// <see cref="IVisitObserver.OnTimeline"/> (the recorder writes it into the journal). A visit keeps at most
/// <see cref="MaxEntries"/> entries, of which at most <see cref="MaxQualitySamples"/> are quality samples; past that one
/// <c>truncated</c> entry says so and nothing more is kept, so a client that rejoins without end cannot grow it without bound.
/// </summary>
public sealed partial class VisitTimeline(ITimelineStore store, VisitRegistry registry, IEnumerable<IVisitObserver> observers, TimeProvider time,
    ILogger<VisitTimeline> logger)
{
    public const int MaxEntries = 2000;
    public const int MaxQualitySamples = 1500;
    public static readonly TimeSpan QualityInterval = TimeSpan.FromSeconds(10);

    /// <summary>How often each party's media seconds are saved (and at every departure, drain and end).</summary>
    public static readonly TimeSpan SaveInterval = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, Line> _lines = new(StringComparer.Ordinal);
    private readonly IVisitObserver[] _observers = [.. observers];

    /// <summary>A join with a participant token (before the joined entry): which token, never the client's secret.</summary>
    public void TokenUsed(Visit visit, Leg leg)
    {
        var line = LineOf(visit);
        lock (line.Gate)
        {
            Append(line, visit, new TimelineEntry(0, time.GetUtcNow(), TimelineKinds.TokenUsed, leg.Participant.Id, leg.Id,
                leg.Client is { } client ? "token " + client.TokenId : null));
        }
    }

    /// <summary>A party joined on a new leg: its transport and the codecs its answer accepted.</summary>
    public void Joined(Visit visit, Leg leg)
    {
        var line = LineOf(visit);
        lock (line.Gate)
        {
            line.PartyOf(leg.Participant.Id).Present = true;
            Append(line, visit, new TimelineEntry(0, time.GetUtcNow(), TimelineKinds.Joined, leg.Participant.Id, leg.Id,
                leg.Participant.Role == PartyRole.Kiosk ? "kiosk" : "visitor")
            {
                Transport = leg.Authenticated ? "webrtc" : "rtp",
                Codecs = CodecsOf(leg),
            });
        }
    }

    /// <summary>
    /// The party's connection dropped for <paramref name="cause"/>: a <c>reconnecting</c> entry, and the party is away (since
    /// its last media, as the sampler saw it) until <see cref="Reconnected"/> or until a new leg's media arrives. A party
    /// already away stays away from the first drop.
    /// </summary>
    public void Reconnecting(Visit visit, Leg leg, ReconnectCause cause)
    {
        var line = LineOf(visit);
        lock (line.Gate)
        {
            var now = time.GetUtcNow();
            var party = line.PartyOf(leg.Participant.Id);
            if (party.Away is not null)
            {
                return;
            }
            var since = party.LastMediaAt is { } last && last <= now ? last : now;
            party.Away = new Away(cause, since, leg.Id);
            Append(line, visit, new TimelineEntry(0, now, TimelineKinds.Reconnecting, leg.Participant.Id, leg.Id,
                "no media from the party since " + since.ToString("O", System.Globalization.CultureInfo.InvariantCulture))
            {
                Cause = TimelineKinds.Name(cause),
            });
        }
    }

    /// <summary>
    /// The party is back (its media flows again on the same leg, e.g. after an ICE restart). The time away is what this
    /// timeline saw (since the party's last media before the drop), or <paramref name="away"/> when it saw no drop start
    /// earlier; nothing is written when the party is not away (the sampler already saw its media return).
    /// </summary>
    public void Reconnected(Visit visit, Leg leg, ReconnectCause cause, TimeSpan away)
    {
        var line = LineOf(visit);
        lock (line.Gate)
        {
            var party = line.PartyOf(leg.Participant.Id);
            if (party.Away is not { } drop)
            {
                return;
            }
            party.Away = null;
            var now = time.GetUtcNow();
            var seconds = drop.Since <= now ? Math.Max((now - drop.Since).TotalSeconds, away.TotalSeconds) : away.TotalSeconds;
            Append(line, visit, new TimelineEntry(0, now, TimelineKinds.Reconnected, leg.Participant.Id, leg.Id)
            {
                Cause = TimelineKinds.Name(cause),
                Seconds = Math.Round(Math.Max(0, seconds), 1),
            });
        }
    }

    /// <summary>The party's leg closed and it is gone (not a rejoin, not a restart): by whom, and why.</summary>
    public void Left(Visit visit, Leg leg, LeftBy by, string why)
    {
        var line = LineOf(visit);
        lock (line.Gate)
        {
            var now = time.GetUtcNow();
            var party = line.PartyOf(leg.Participant.Id);
            SampleLeg(line, visit, leg, party, now);
            party.Away = null;
            party.Present = false;
            Append(line, visit, new TimelineEntry(0, now, TimelineKinds.Left, leg.Participant.Id, leg.Id, why) { By = TimelineKinds.Name(by) });
            SaveMedia(visit, leg.Participant.Id, party, now);
        }
    }

    /// <summary>The visit is over: by whom (officer, scheduled end, server fault; null when every party left), with the reason.</summary>
    public void Ended(Visit visit, LeftBy? by, string reason)
    {
        var line = LineOf(visit);
        lock (line.Gate)
        {
            var now = time.GetUtcNow();
            Append(line, visit, new TimelineEntry(0, now, TimelineKinds.Ended, null, null, reason) { By = by is { } b ? TimelineKinds.Name(b) : null });
            SaveAll(visit, line, now);
        }
        _lines.TryRemove(visit.Id, out _);
    }

    /// <summary>
    /// The server stops and keeps the visit for its parties' rejoin: each connected party is reconnecting for a server
    /// restart, and every party's media seconds are saved.
    /// </summary>
    public void Draining(Visit visit)
    {
        foreach (var leg in visit.OpenLegs())
        {
            Reconnecting(visit, leg, ReconnectCause.ServerRestart);
        }
        var line = LineOf(visit);
        lock (line.Gate)
        {
            SaveAll(visit, line, time.GetUtcNow());
        }
    }

    /// <summary>
    /// The visit is live again after a restart: each party that was in it (joined, not left) and is not already away is away
    /// for a server restart since the last time its media was saved, and comes back when its new leg's media arrives.
    /// </summary>
    public void Resumed(Visit visit)
    {
        var line = LineOf(visit);
        lock (line.Gate)
        {
            var now = time.GetUtcNow();
            foreach (var (participant, party) in line.Parties)
            {
                if (!party.Present || party.Away is not null)
                {
                    continue;
                }
                var since = party.SavedAt is { } saved && saved <= now ? saved : now;
                party.Away = new Away(ReconnectCause.ServerRestart, since, null);
                Append(line, visit, new TimelineEntry(0, now, TimelineKinds.Reconnecting, participant, null,
                    "server restarted; media last seen by " + since.ToString("O", System.Globalization.CultureInfo.InvariantCulture))
                {
                    Cause = TimelineKinds.Name(ReconnectCause.ServerRestart),
                });
            }
        }
    }

    /// <summary>The visit's entries in order (a visit nothing happened to yet has only its <c>scheduled</c> entry).</summary>
    public IReadOnlyList<TimelineEntry> Entries(Visit visit)
    {
        var entries = store.Entries(visit.Id);
        return entries.Count > 0 ? entries : [ScheduledEntry(visit)];
    }

    /// <summary>The totals of every party and of the visit, the media seconds as of now for a visit under way.</summary>
    public TimelineSummary Summary(Visit visit, IReadOnlyList<TimelineEntry> entries)
    {
        IReadOnlyList<PartyMediaSeconds> media;
        if (!visit.IsFinal && _lines.TryGetValue(visit.Id, out var line))
        {
            var live = new List<PartyMediaSeconds>();
            lock (line.Gate)
            {
                foreach (var (participant, party) in line.Parties)
                {
                    live.Add(new PartyMediaSeconds(participant, party.Media.InSeconds, party.Media.OutSeconds, party.Media.BothSeconds, time.GetUtcNow()));
                }
            }
            media = live;
        }
        else
        {
            media = store.Media(visit.Id);
        }
        return TimelineSummary.Of(visit, entries, media, time.GetUtcNow());
    }

    private static TimelineEntry ScheduledEntry(Visit visit) =>
        new(1, visit.CreatedAt, TimelineKinds.Scheduled, null, null, string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{visit.Start:O} to {visit.End:O}{(visit.Privileged ? ", privileged" : "")}"));

    private static List<string> CodecsOf(Leg leg)
    {
        var codecs = new List<string>(3);
        foreach (var codec in new[] { MediaCodec.Vp8, MediaCodec.H264, MediaCodec.Opus })
        {
            var used = (leg.Party.Video?.Codecs.Contains(codec) ?? false) || (leg.Party.Audio?.Codecs.Contains(codec) ?? false);
            foreach (var slot in leg.Party.VideoSlots.Concat(leg.Party.AudioSlots))
            {
                used |= slot.Accepts(codec);
            }
            if (used)
            {
                codecs.Add(codec switch { MediaCodec.Vp8 => "VP8", MediaCodec.H264 => "H264", _ => "opus" });
            }
        }
        return codecs;
    }

    [LoggerMessage(EventId = 330, Level = LogLevel.Error, Message = "Visit {VisitId}: the timeline could not be stored")]
    private static partial void LogStoreFailed(ILogger logger, Exception exception, string visitId);

    [LoggerMessage(EventId = 331, Level = LogLevel.Error, Message = "Visit {VisitId}: timeline observer {Observer} failed")]
    private static partial void LogObserverFailed(ILogger logger, Exception exception, string visitId, string observer);

    [LoggerMessage(EventId = 332, Level = LogLevel.Warning, Message = "Visit {VisitId}: the timeline reached its cap of {Cap} entries; later entries are not kept")]
    private static partial void LogTruncated(ILogger logger, string visitId, int cap);
}
