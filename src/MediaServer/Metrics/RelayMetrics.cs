namespace MediaServer.Metrics;

/// <summary>Why a datagram was not forwarded. Each reason is a counter in /metrics.</summary>
public enum DropReason
{
    /// <summary>Not a valid RTP/RTCP packet (truncated, wrong version, lying lengths).</summary>
    Malformed,
    /// <summary>From an address that is not the latched sender of that port.</summary>
    UnknownSource,
    /// <summary>Valid, but nobody may send on that slot (a receive-only m-line), or the packet kind has no route.</summary>
    NoRoute,
    /// <summary>The receiver did not offer the codec the packet carries.</summary>
    CodecMismatch,
    /// <summary>Arrived while its leg was closing.</summary>
    Closed,
    /// <summary>The kernel refused the send.</summary>
    SendError,
    /// <summary>SRTP/SRTCP that failed authentication or was malformed (forged, corrupted, or keyed wrong).</summary>
    SrtpAuth,
    /// <summary>SRTP/SRTCP replayed or too old for the replay window (RFC 3711 §3.3.2).</summary>
    SrtpReplay,
    /// <summary>A STUN check refused (wrong ufrag or password, broken FINGERPRINT, missing attributes) or not for any leg.</summary>
    StunRefused,
    /// <summary>Media or DTLS from an address no ICE check has bound to a leg, or before the leg is secure.</summary>
    NotConnected,
    /// <summary>
    /// A WebRTC leg whose DTLS handshake failed or was refused (certificate not matching the SDP fingerprint, protocol error,
    /// timeout, too many handshakes at once): counted once per leg, which is then closed.
    /// </summary>
    DtlsRefused,
    /// <summary>A datagram longer than the receive buffer (<see cref="Transport.DatagramReceiveLoop.BufferSize"/>): dropped whole, never forwarded cut.</summary>
    Oversize,
    /// <summary>Packets a NACK named beyond what one NACK message may bring back (MediaServer:Relay:MaxNackPackets).</summary>
    NackOverLimit,
    /// <summary>Packets a NACK named that were resent to the same receiver less than a round trip ago (RFC 4585 §6.2.1).</summary>
    NackRepeat,
    /// <summary>Retransmissions refused because the receiver's retransmission byte budget was spent.</summary>
    RetransmitBudget,
    /// <summary>NACK messages from a receiver whose leg did not negotiate <c>a=rtcp-fb:… nack</c> (RFC 4585 §4.2).</summary>
    NackNotNegotiated,
}

/// <summary>
/// Process-wide relay counters. Increments are plain <see cref="Interlocked"/> adds on padded fields so that the packet path pays
/// no lock and no allocation; /metrics reads them racily, which Prometheus counters tolerate.
/// </summary>
public sealed class RelayMetrics
{
    private static readonly DropReason[] AllReasons = Enum.GetValues<DropReason>();
    private readonly long[] _drops = new long[AllReasons.Length * 8];
    private long _packetsIn;
    private long _bytesIn;
    private long _packetsOut;
    private long _bytesOut;
    private long _rtcpIn;

    public long PacketsIn => Volatile.Read(ref _packetsIn);
    public long BytesIn => Volatile.Read(ref _bytesIn);
    public long PacketsOut => Volatile.Read(ref _packetsOut);
    public long BytesOut => Volatile.Read(ref _bytesOut);
    public long RtcpIn => Volatile.Read(ref _rtcpIn);

    public static IReadOnlyList<DropReason> Reasons => AllReasons;

    public void CountIn(int bytes)
    {
        Interlocked.Increment(ref _packetsIn);
        Interlocked.Add(ref _bytesIn, bytes);
    }

    public void CountOut(int bytes)
    {
        Interlocked.Increment(ref _packetsOut);
        Interlocked.Add(ref _bytesOut, bytes);
    }

    public void CountRtcpIn() => Interlocked.Increment(ref _rtcpIn);

    private long _retransmissions;
    private long _retransmittedBytes;

    /// <summary>Packets resent from a track's cache (answers to NACKs, and keyframes resent after PLI/FIR).</summary>
    public long Retransmissions => Volatile.Read(ref _retransmissions);

    public long RetransmittedBytes => Volatile.Read(ref _retransmittedBytes);

    public void CountRetransmission(int bytes)
    {
        Interlocked.Increment(ref _retransmissions);
        Interlocked.Add(ref _retransmittedBytes, bytes);
    }

    /// <summary>Counts <paramref name="count"/> drops at once (the excess of one NACK); nothing when it is 0.</summary>
    public void CountDrops(DropReason reason, long count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref _drops[(int)reason * 8], count);
        }
    }

    // Each reason's counter sits on its own cache line (8 longs apart) so that drops counted by different loops do not contend.
    public void CountDrop(DropReason reason) => Interlocked.Increment(ref _drops[(int)reason * 8]);

    public long Drops(DropReason reason) => Volatile.Read(ref _drops[(int)reason * 8]);

    public static string Label(DropReason reason) => reason switch
    {
        DropReason.Malformed => "malformed",
        DropReason.UnknownSource => "unknown_source",
        DropReason.NoRoute => "no_route",
        DropReason.CodecMismatch => "codec_mismatch",
        DropReason.Closed => "closed",
        DropReason.SendError => "send_error",
        DropReason.SrtpAuth => "srtp_auth",
        DropReason.SrtpReplay => "srtp_replay",
        DropReason.StunRefused => "stun_refused",
        DropReason.NotConnected => "not_connected",
        DropReason.DtlsRefused => "dtls_refused",
        DropReason.Oversize => "oversize",
        DropReason.NackOverLimit => "nack_over_limit",
        DropReason.NackRepeat => "nack_repeat",
        DropReason.RetransmitBudget => "retransmit_budget",
        DropReason.NackNotNegotiated => "nack_not_negotiated",
        _ => "other",
    };
}
