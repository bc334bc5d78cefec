using System.Diagnostics;
using System.Security.Cryptography;
using MediaServer.Codecs.Sdp;
using MediaServer.Routing;
using MediaServer.Transport;

namespace MediaServer.Visits;

public enum LegState
{
    /// <summary>Answered; no media yet.</summary>
    Connecting,
    /// <summary>Media flowing.</summary>
    Connected,
    /// <summary>The party left (DELETE of the leg).</summary>
    Left,
    /// <summary>The server closed it: terminate, scheduled end, or a newer leg of the same participant.</summary>
    Closed,
    /// <summary>Its path failed after media flowed; it keeps its seat for the reconnect grace (still open).</summary>
    Reconnecting,
}

/// <summary>One participant's connection to a visit: its transport (sockets or WebRTC binding) and what it brings to the router.</summary>
public sealed class Leg : IDisposable
{
    private readonly IReadOnlyList<ILegTransport> _transports;
    private int _closed;
    private volatile LegState _finalState = LegState.Connecting;

    public Leg(string visitId, Participant participant, RouterParty party, IReadOnlyList<ILegTransport> transports, DateTimeOffset createdAt)
    {
        Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        VisitId = visitId;
        Participant = participant;
        Party = party;
        _transports = transports;
        CreatedAt = createdAt;
        var authenticated = transports.Count > 0;
        foreach (var transport in transports)
        {
            authenticated &= transport.Authenticated;
        }
        Authenticated = authenticated;
    }

    /// <summary>
    /// Whether every packet this leg sends us is authenticated: SRTP (RFC 3711 §3.4) on a WebRTC leg, true; plain RTP, false
    /// (anyone who reaches the port could have sent it). The recording says so for each track.
    /// </summary>
    public bool Authenticated { get; }

    public string Id { get; }
    public string VisitId { get; }
    public Participant Participant { get; }
    public RouterParty Party { get; }
    public DateTimeOffset CreatedAt { get; }

    /// <summary>Plain-RTP port pairs this leg holds (0 for WebRTC, which shares one port): the visit's port budget counts them.</summary>
    public int PortPairs { get; internal set; }

    /// <summary>The H.264 profile of every H.264 format this leg's answer named (null: none); later joins must match it.</summary>
    public H264Profile? H264Profile { get; internal set; }
    public DateTimeOffset? ClosedAt { get; private set; }

    /// <summary>A WebRTC leg's negotiation, for an ICE restart (null: plain RTP).</summary>
    public WebRtcLeg? WebRtc { get; internal init; }

    /// <summary>The token and client that opened this leg (set by the lifecycle before the leg is attached).</summary>
    public JoinClient? Client { get; internal set; }

    /// <summary>Whether the client publishes media on this leg (an accepted sendrecv or sendonly m-line).</summary>
    public bool Sends => Party.Video is not null || Party.Audio is not null;

    private long _lastPacketsIn;
    private DateTimeOffset? _lastProgressAt;

    /// <summary>
    /// Whether no media has arrived from the client for <paramref name="limit"/> (counting from the leg's creation when none
    /// ever did). Called from the lifecycle tick only (one caller), which samples the packet counter; the packet path is untouched.
    /// </summary>
    public bool IsSilentFor(TimeSpan limit, DateTimeOffset now)
    {
        var packets = Party.Counters.PacketsIn;
        if (_lastProgressAt is null || packets != _lastPacketsIn)
        {
            _lastPacketsIn = packets;
            _lastProgressAt = packets == 0 ? CreatedAt : now;
        }
        return now - _lastProgressAt.Value >= limit;
    }

    /// <summary>Whether the client receives media on this leg (an accepted sendrecv or recvonly m-line).</summary>
    /// <summary>
    /// Whether the party's microphone and camera are on, as its own page says (<c>PUT …/devices</c>): what the other parties'
    /// pages show ("Muted", "Camera is off"). A claim of the party about itself, for display only; the relay and the recording
    /// do not depend on it. Both on until the page says otherwise.
    /// </summary>
    public (bool Microphone, bool Camera) Devices
    {
        get
        {
            var bits = Volatile.Read(ref _devices);
            return ((bits & 1) == 0, (bits & 2) == 0);
        }
        internal set => Volatile.Write(ref _devices, (value.Microphone ? 0 : 1) | (value.Camera ? 0 : 2));
    }

    private int _devices;

    public bool Receives => Party.VideoSlots.Count + Party.AudioSlots.Count > 0;

    public string Location => $"/api/visits/{VisitId}/legs/{Id}";
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>When its path failed (the leg is <see cref="LegState.Reconnecting"/> since); null while it works. Set under the visit's lock.</summary>
    public DateTimeOffset? ReconnectingSince { get; internal set; }

    /// <summary>When the seat this leg took back started reconnecting (a rejoin after a failed path); null for a first join or after a leave.</summary>
    public DateTimeOffset? RejoiningSince { get; internal set; }

    public LegState State => IsClosed ? _finalState
        : ReconnectingSince is not null ? LegState.Reconnecting
        : Party.Counters.PacketsIn > 0 ? LegState.Connected : LegState.Connecting;

    /// <summary>The name the API gives <see cref="State"/>.</summary>
    public string StateName => State switch
    {
        // A rejoin that has no media yet is the same party still reconnecting.
        LegState.Connecting => RejoiningSince is null ? "connecting" : "reconnecting",
        LegState.Connected => "connected",
        LegState.Reconnecting => "reconnecting",
        LegState.Left => "left",
        _ => "closed",
    };

    public void Start()
    {
        foreach (var transport in _transports)
        {
            transport.Start();
        }
    }

    /// <summary>Closes the sockets (the kernel drops whatever arrives later) and releases the ports. Idempotent.</summary>
    public bool Close(LegState finalState, DateTimeOffset at)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return false;
        }
        _finalState = finalState;
        ClosedAt = at;
        // RFC 3550 §6.6: say goodbye on every stream we sent, so the client's receivers end now rather than time out.
        RtcpReporter.Goodbye(Party);
        foreach (var transport in _transports)
        {
            transport.Dispose();
        }
        return true;
    }

    public void Dispose() => Close(LegState.Closed, DateTimeOffset.UtcNow);

    /// <summary>Average bitrate received from this party since the leg was created, in kbit/s.</summary>
    public double BitrateInKbps()
    {
        var seconds = Stopwatch.GetElapsedTime(Party.Counters.CreatedTimestamp).TotalSeconds;
        return seconds <= 0 ? 0 : Party.Counters.BytesIn * 8 / seconds / 1000;
    }
}
