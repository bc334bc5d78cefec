using System.Security.Cryptography;
using MediaServer.Routing;
using MediaServer.Transport;

namespace MediaServer.Visits;

/// <summary>
/// An officer's receive-only monitoring leg of a visit (docs/api.md, taps; WHEP-style resource, RFC 9725 §4.2). Its
/// <see cref="RouterParty"/> has no tracks and only hidden slots, and it is attached to the router as a tap, never as a
/// party: participants' slots, SDP, RTCP and the API's participant list do not change.
/// </summary>
public sealed class Tap
{
    private readonly IReadOnlyList<ILegTransport> _transports;
    private readonly IDisposable? _audioProducer;
    private int _closed;

    /// <param name="audio">A tap whose audio is produced rather than routed (mixed audio): its party replaces
    /// <paramref name="party"/>, and its producer is disposed when the tap closes.</param>
    public Tap(string id, string visitId, string officerId, string officerRole, bool isWebRtc, RouterParty party,
        IReadOnlyList<ILegTransport> transports, DateTimeOffset createdAt, TapAudio? audio = null)
    {
        Id = id;
        VisitId = visitId;
        OfficerId = officerId;
        OfficerRole = officerRole;
        IsWebRtc = isWebRtc;
        Party = audio?.Party ?? party;
        _audioProducer = audio?.Producer;
        _transports = transports;
        CreatedAt = createdAt;
    }

    public string Id { get; }
    public string VisitId { get; }

    /// <summary>Who opened the tap (the token's sub), for the audit log.</summary>
    public string OfficerId { get; }
    public string OfficerRole { get; }
    public bool IsWebRtc { get; }
    public RouterParty Party { get; }
    public DateTimeOffset CreatedAt { get; }

    /// <summary>Plain-RTP port pairs this tap holds (0 for WebRTC, which shares one port): the visit's port budget counts them.</summary>
    public int PortPairs { get; internal set; }
    public DateTimeOffset? ClosedAt { get; private set; }
    public string Location => $"/api/visits/{VisitId}/taps/{Id}";
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>The router's name for the tap's slots: never a participant id, so it can never be mistaken for one.</summary>
    public static string RouterId(string tapId) => "tap:" + tapId;

    /// <summary>True when the tap's audio m-line carries one mix of every party rather than each party's own stream.</summary>
    public bool MixedAudio => _audioProducer is not null;

    public void Start()
    {
        foreach (var transport in _transports)
        {
            transport.Start();
        }
    }

    /// <summary>Says goodbye on every stream sent (RFC 3550 §6.6) and closes the transport. Idempotent.</summary>
    public bool Close(DateTimeOffset at)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return false;
        }
        ClosedAt = at;
        _audioProducer?.Dispose();
        RtcpReporter.Goodbye(Party);
        foreach (var transport in _transports)
        {
            transport.Dispose();
        }
        return true;
    }
}
