using System.Net;
using System.Net.Sockets;

namespace MediaServer.WebRtcTests.Harness;

/// <summary>
/// Picks ports that are free right now by binding them. The search order comes from a seeded <see cref="Random"/> so a failing
/// run can be repeated (WEBRTC_TEST_SEED); a process-wide set keeps two callers from being handed the same port.
/// </summary>
internal static class FreePorts
{
    public static int Seed { get; } = int.TryParse(Environment.GetEnvironmentVariable("WEBRTC_TEST_SEED"), out var seed) ? seed : 20240611;

    private static readonly Random Rng = new(Seed);
    private static readonly HashSet<int> Handed = [];
    private static readonly Lock Gate = new();

    public static int Tcp()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        lock (Gate)
        {
            Handed.Add(port);
        }
        return port;
    }

    /// <summary>One free UDP port (the server's shared WebRTC port).</summary>
    public static int Udp() => UdpRange(1, even: false);

    /// <summary>An even port whose odd neighbour is free too (RTP on the even, RTCP on the odd: RFC 3550 §11).</summary>
    public static int UdpPair() => UdpRange(2, even: true);

    /// <summary>The first of <paramref name="count"/> consecutive free UDP ports.</summary>
    public static int UdpRange(int count, bool even)
    {
        lock (Gate)
        {
            for (var attempt = 0; attempt < 500; attempt++)
            {
                var first = Rng.Next(20000, 60000 - count);
                if (even)
                {
                    first &= ~1;
                }
                if (Enumerable.Range(first, count).Any(Handed.Contains) || !AllFree(first, count))
                {
                    continue;
                }
                for (var p = first; p < first + count; p++)
                {
                    Handed.Add(p);
                }
                return first;
            }
        }
        throw new InvalidOperationException($"No {count} consecutive free UDP ports found on 127.0.0.1.");
    }

    private static bool AllFree(int first, int count)
    {
        var sockets = new List<Socket>(count);
        try
        {
            for (var port = first; port < first + count; port++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                sockets.Add(socket);
                socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            }
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
    }
}
