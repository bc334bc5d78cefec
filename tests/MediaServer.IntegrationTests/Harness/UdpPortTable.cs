using System.Globalization;

namespace MediaServer.IntegrationTests.Harness;

/// <summary>
/// Reads the kernel's UDP socket table, to learn when another process (an FFmpeg receiver) has bound its ports without
/// racing it for them with a probe bind.
/// </summary>
public static class UdpPortTable
{
    public static bool IsBound(int port) =>
        BoundIn("/proc/net/udp", port) || BoundIn("/proc/net/udp6", port);

    private static bool BoundIn(string table, int port)
    {
        if (!File.Exists(table))
        {
            return false;
        }

        // Lines look like "  12: 0100007F:2EE0 00000000:0000 07 ..." — local address:port in hex is the second field.
        foreach (var line in File.ReadLines(table).Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2)
            {
                continue;
            }

            var colon = fields[1].LastIndexOf(':');
            if (colon > 0 && int.TryParse(fields[1].AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var bound) && bound == port)
            {
                return true;
            }
        }

        return false;
    }
}
