using System.Globalization;

namespace MediaServer.Codecs.Sdp;

/// <summary>
/// A <c>t=</c> line (RFC 8866 §5.9) with the <c>r=</c> lines that follow it (§5.10, kept as raw text).
/// <c>t=0 0</c> — an unbounded session — is what every real-time client sends.
/// </summary>
public sealed class SdpTiming
{
    public SdpTiming()
    {
    }

    public SdpTiming(ulong startTime, ulong stopTime)
    {
        StartTime = startTime;
        StopTime = stopTime;
    }

    /// <summary>NTP seconds; 0 means unbounded.</summary>
    public ulong StartTime { get; set; }

    /// <summary>NTP seconds; 0 means unbounded.</summary>
    public ulong StopTime { get; set; }

    /// <summary>The values of the <c>r=</c> lines that follow this <c>t=</c>, raw.</summary>
    public List<string> Repeats { get; } = [];

    public override string ToString() =>
        StartTime.ToString(CultureInfo.InvariantCulture) + " " + StopTime.ToString(CultureInfo.InvariantCulture);
}
