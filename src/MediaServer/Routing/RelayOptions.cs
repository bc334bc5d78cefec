namespace MediaServer.Routing;

/// <summary>
/// "MediaServer:Relay": how far the relay answers its receivers' feedback. Bounds NACK retransmissions (RFC 4585 §6.2.1) per
/// receiver and floors the bandwidth estimates (REMB) passed to senders, so no one receiver can turn the server into an
/// amplifier or starve the other parties, the taps and the recording.
/// </summary>
public sealed class RelayOptions
{
    /// <summary>Where these options live in the configuration.</summary>
    public const string SectionName = "MediaServer:Relay";

    /// <summary>Packets one NACK message may bring back; what it names beyond this is dropped and counted (nack_over_limit).</summary>
    public int MaxNackPackets { get; set; } = 64;

    /// <summary>
    /// The round trip assumed for a receiver until its receiver reports give one (RFC 3550 §6.4.1 LSR/DLSR): a packet is resent
    /// to a receiver at most once per round trip.
    /// </summary>
    public TimeSpan DefaultRtt { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Share of the bytes a receiver is sent that it may have again as retransmissions (0.25: a quarter more).</summary>
    public double RetransmitShare { get; set; } = 0.25;

    /// <summary>Retransmission bit rate every receiver may use on top of its share (a new receiver has been sent little).</summary>
    public long RetransmitFloorBitrate { get; set; } = 128_000;

    /// <summary>Bytes of retransmission a receiver may take at once (the token bucket's depth).</summary>
    public int RetransmitBurstBytes { get; set; } = 65_536;

    /// <summary>No REMB passed to a sender asks for less than this (bits per second), whatever a receiver estimated.</summary>
    public long MinRembBitrate { get; set; } = 150_000;

    /// <summary>While a track is recorded, no REMB passed to its sender asks for less than this (bits per second).</summary>
    public long RecordingMinRembBitrate { get; set; } = 300_000;

    /// <summary>Null when the values are usable; otherwise what is wrong, naming the key.</summary>
    public string? Problem()
    {
        if (MaxNackPackets is < 1 or > 4096)
        {
            return "MediaServer:Relay:MaxNackPackets must be between 1 and 4096.";
        }
        if (DefaultRtt < TimeSpan.FromMilliseconds(1) || DefaultRtt > TimeSpan.FromSeconds(10))
        {
            return "MediaServer:Relay:DefaultRtt must be between 1 ms and 10 s.";
        }
        if (!double.IsFinite(RetransmitShare) || RetransmitShare < 0 || RetransmitShare > 10)
        {
            return "MediaServer:Relay:RetransmitShare must be between 0 and 10.";
        }
        if (RetransmitFloorBitrate is < 0 or > 1_000_000_000)
        {
            return "MediaServer:Relay:RetransmitFloorBitrate must be between 0 and 1000000000 bit/s.";
        }
        if (RetransmitBurstBytes is < 1500 or > 16 * 1024 * 1024)
        {
            return "MediaServer:Relay:RetransmitBurstBytes must be between 1500 and 16777216.";
        }
        if (MinRembBitrate is < 0 or > 100_000_000 || RecordingMinRembBitrate is < 0 or > 100_000_000)
        {
            return "MediaServer:Relay:MinRembBitrate and RecordingMinRembBitrate must be between 0 and 100000000 bit/s.";
        }
        return null;
    }
}
