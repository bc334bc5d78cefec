using System.Net;
using System.Net.Sockets;
using MediaServer.Transport.WebRtc;

namespace MediaServer.Transport;

/// <summary>
/// Before the host starts: the media ports the configuration names are tried, so that one another process holds is a line
/// naming the setting (and exit code 2), not a failed start with a stack trace. The WebRTC port is bound and released;
/// with shared pairs, pairs of the range are bound and released until enough are found. A port taken between this check and
/// the start still fails the start (<see cref="MediaPortUnavailableException"/>).
/// </summary>
public static class MediaPortPreflight
{
    public static List<string> Problems(RtpOptions rtp, WebRtcOptions webRtc)
    {
        var problems = new List<string>();
        // 1. The WebRTC port (0 takes any free one: nothing to try).
        if (webRtc.Port is > 0 and <= 65535 && IPAddress.TryParse(webRtc.ListenAddress, out var webRtcAddress)
            && TryBind(webRtcAddress, webRtc.Port) is { } webRtcError)
        {
            problems.Add(WebRtcPortHeld(webRtcAddress, webRtc.Port, webRtcError));
        }
        // 2. The shared pairs, when asked for and the range is sound (its own checks name it otherwise).
        if (rtp.SharedPairs is > 0 and <= 64 && rtp.PortMin > 0 && rtp.PortMax <= 65535 && rtp.PortMax > rtp.PortMin
            && IPAddress.TryParse(rtp.ListenAddress, out var rtpAddress))
        {
            var found = 0;
            var first = rtp.PortMin % 2 == 0 ? rtp.PortMin : rtp.PortMin + 1;
            for (var port = first; port + 1 <= rtp.PortMax && found < rtp.SharedPairs; port += 2)
            {
                if (TryBind(rtpAddress, port) is null && TryBind(rtpAddress, port + 1) is null)
                {
                    found++;
                }
            }
            if (found < rtp.SharedPairs)
            {
                problems.Add(SharedPairsHeld(rtp, found));
            }
        }
        return problems;
    }

    /// <summary>The line for a WebRTC port that cannot be bound (here, or by the port itself if it was taken since).</summary>
    public static string WebRtcPortHeld(IPAddress address, int port, SocketError error) =>
        $"MediaServer:WebRtc:Port {address}:{port} cannot be bound ({error}: another process may hold it); set another port or free it.";

    /// <summary>The line for shared pairs the range cannot give (here, or by <see cref="SharedRtpPorts"/> at start).</summary>
    public static string SharedPairsHeld(RtpOptions rtp, int found) =>
        $"MediaServer:Rtp:SharedPairs is {rtp.SharedPairs}, but only {found} pairs of the RTP range "
        + $"MediaServer:Rtp:PortMin-PortMax ({rtp.PortMin}-{rtp.PortMax}) can be bound (other processes hold the rest); free them, widen the range or share fewer.";

    /// <summary>Null when <paramref name="port"/> can be bound on <paramref name="address"/> now, else why not.</summary>
    private static SocketError? TryBind(IPAddress address, int port)
    {
        using var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(address, port));
            return null;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode;
        }
    }
}
