using System.Net;
using System.Net.Sockets;

namespace MediaServer.LoadGen;

/// <summary>Finds port ranges nobody else on the machine holds, below the kernel's ephemeral range.</summary>
internal static class PortRanges
{
    private const int Lowest = 20_000;
    private const int Highest = 32_000; // Linux's ephemeral range starts at 32768 by default.

    public static int FreeTcpPort()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }

    /// <summary>An even first port of <paramref name="count"/> consecutive UDP ports that all bind now, avoiding <paramref name="avoid"/>.</summary>
    public static int FindFreeUdpRange(int count, Random random, (int First, int Last)? avoid = null)
    {
        if (count > Highest - Lowest)
        {
            throw new InvalidOperationException($"{count} ports do not fit in {Lowest}-{Highest}.");
        }
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var first = Lowest + (random.Next(0, (Highest - Lowest - count) / 2) * 2);
            var last = first + count - 1;
            if (avoid is { } a && first <= a.Last && a.First <= last)
            {
                continue;
            }
            if (AllFree(first, count))
            {
                return first;
            }
        }
        throw new InvalidOperationException($"Found no {count} consecutive free UDP ports in {Lowest}-{Highest}.");
    }

    private static bool AllFree(int first, int count)
    {
        for (var port = first; port < first + count; port++)
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
            }
            catch (SocketException)
            {
                return false;
            }
        }
        return true;
    }
}
