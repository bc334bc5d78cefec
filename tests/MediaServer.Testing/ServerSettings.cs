using System.Globalization;

namespace MediaServer.Testing;

/// <summary>
/// The settings every test server runs with, keyed as in appsettings (<c>MediaServer:Rtp:PortMin</c>): its own folders below
/// one root, its own RTP range and WebRTC port on loopback, a long join grace. The process gets them as environment variables
/// (<see cref="AsEnvironment"/>), the in-process host as command-line configuration.
/// </summary>
public static class ServerSettings
{
    public static Dictionary<string, string> For(string rootDirectory, int rtpPortMin, int rtpPortCount, int webRtcPort) => new()
    {
        ["MediaServer:DataDirectory"] = Path.Combine(rootDirectory, "data"),
        ["MediaServer:KeyDirectory"] = Path.Combine(rootDirectory, "keys"),
        ["MediaServer:Rtp:ListenAddress"] = "127.0.0.1",
        ["MediaServer:Rtp:PortMin"] = rtpPortMin.ToString(CultureInfo.InvariantCulture),
        ["MediaServer:Rtp:PortMax"] = (rtpPortMin + rtpPortCount - 1).ToString(CultureInfo.InvariantCulture),
        ["MediaServer:Auth:JoinGrace"] = "00:15:00",
        ["MediaServer:WebRtc:ListenAddress"] = "127.0.0.1",
        ["MediaServer:WebRtc:Port"] = webRtcPort.ToString(CultureInfo.InvariantCulture),
        // Renders run at nice 19: on a loaded test machine they can take many times real time, past the default limit
        // (the time-limit test sets its own).
        ["MediaServer:Recording:RenderTimeLimitMinimum"] = "00:30:00",
    };

    /// <summary>The same settings as environment variables (<c>MediaServer__Rtp__PortMin</c>).</summary>
    public static Dictionary<string, string> AsEnvironment(Dictionary<string, string> settings) =>
        settings.ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value, StringComparer.Ordinal);
}
