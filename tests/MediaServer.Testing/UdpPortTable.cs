using System.Globalization;

namespace MediaServer.Testing;

/// <summary>
/// Reads the kernel's UDP socket table, to learn when another process (an FFmpeg receiver) has bound its ports without
/// racing it for them with a probe bind.
/// </summary>
public static class UdpPortTable
{
    public static bool IsBound(int port) => Sockets(port).Any();

    /// <summary>Bytes waiting in the receive queues of the sockets bound to <paramref name="port"/>: 0 once the owner read everything.</summary>
    public static long ReceiveQueueBytes(int port) => Sockets(port).Sum(s => s.RxQueue);

    private static IEnumerable<(int Port, long RxQueue)> Sockets(int port) =>
        Read("/proc/net/udp").Concat(Read("/proc/net/udp6")).Where(s => s.Port == port);

    private static IEnumerable<(int Port, long RxQueue)> Read(string table)
    {
        if (!File.Exists(table))
        {
            yield break;
        }

        // "  sl  local_address rem_address   st tx_queue rx_queue ..." as
        // "  12: 0100007F:2EE0 00000000:0000 07 00000000:00000000 ...": local port and both queues in hex.
        foreach (var line in File.ReadLines(table).Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 5)
            {
                continue;
            }

            var colon = fields[1].LastIndexOf(':');
            var queues = fields[4].Split(':');
            if (colon > 0
                && int.TryParse(fields[1].AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var bound)
                && queues.Length == 2
                && long.TryParse(queues[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var rx))
            {
                yield return (bound, rx);
            }
        }
    }
}
