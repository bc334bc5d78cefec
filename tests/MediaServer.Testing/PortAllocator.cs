using System.Net;
using System.Net.Sockets;

namespace MediaServer.Testing;

/// <summary>
/// Picks ports that are free right now by binding them, and never hands out a port that is still held in this test run, so
/// parallel tests do not collide; a server's range is given back when its process has ended (<see cref="Release"/>), since
/// the suite starts more servers than the region holds ranges. Both regions sit below Linux's ephemeral range (32768–60999), where the kernel's
/// own picks for outgoing sockets would otherwise race with ours.
/// </summary>
public static class PortAllocator
{
    private const int ServerRegionStart = 20000;
    private const int ServerRegionEnd = 32000;
    private const int ClientRegionStart = 10000;
    private const int ClientRegionEnd = 20000;

    private static readonly object Gate = new();
    private static readonly HashSet<int> Handed = [];

    public static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>An even first port and <paramref name="count"/> consecutive UDP ports free for the server's RTP range.</summary>
    public static int FreeServerUdpRange(int count) => FreeUdpRange(count, ServerRegionStart, ServerRegionEnd);

    /// <summary>One free UDP port for a server: the WebRTC legs' shared port (MediaServer:WebRtc:Port).</summary>
    public static int FreeServerUdpPort() => FreeUdpRange(1, ServerRegionStart, ServerRegionEnd);

    /// <summary>An even port P with P and P+1 free: a client's RTP/RTCP pair (RFC 3550 §11: RTCP on the next port).</summary>
    public static int FreeClientRtpPair() => FreeUdpRange(2, ClientRegionStart, ClientRegionEnd);

    /// <summary>An even first port and <paramref name="count"/> consecutive free UDP ports for clients (the load generator's parties).</summary>
    public static int FreeClientUdpRange(int count) => FreeUdpRange(count, ClientRegionStart, ClientRegionEnd);

    /// <summary>Gives back ports handed out before, once nothing of the test uses them any more (the server process has ended).</summary>
    public static void Release(int first, int count)
    {
        lock (Gate)
        {
            for (var port = first; port < first + count; port++)
            {
                Handed.Remove(port);
            }
        }
    }

    private static int FreeUdpRange(int count, int regionStart, int regionEnd)
    {
        lock (Gate)
        {
            for (var attempt = 0; attempt < 200; attempt++)
            {
                var first = Random.Shared.Next(regionStart / 2, (regionEnd - count) / 2) * 2;
                if (Enumerable.Range(first, count).Any(Handed.Contains))
                {
                    continue;
                }

                if (AllBindable(first, count))
                {
                    Handed.UnionWith(Enumerable.Range(first, count));
                    return first;
                }
            }
        }

        throw new InvalidOperationException($"No {count} free consecutive UDP ports in {regionStart}-{regionEnd}");
    }

    private static bool AllBindable(int first, int count)
    {
        var sockets = new List<Socket>(count);
        try
        {
            for (var port = first; port < first + count; port++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                sockets.Add(socket);
                // Probe the wildcard address: FFmpeg binds 0.0.0.0, and a wildcard binding blocks 127.0.0.1 too.
                socket.Bind(new IPEndPoint(IPAddress.Any, port));
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
