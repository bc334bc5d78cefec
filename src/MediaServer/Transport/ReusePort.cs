using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MediaServer.Transport;

/// <summary>
/// SO_REUSEPORT (Linux, socket(7)): several UDP sockets bound to one address and port, the kernel handing each datagram to one
/// of them by a hash of its address pair. Also counts the sockets bound to an address and port (/proc/net/udp), so a group can
/// check at start that no other process's socket is in it.
/// </summary>
internal static class ReusePort
{
    private const int SolSocket = 1;
    private const int SoReusePort = 15;

    public static bool IsSupported => OperatingSystem.IsLinux() && BitConverter.IsLittleEndian;

    /// <summary>Sets SO_REUSEPORT on an unbound socket.</summary>
    public static void Enable(Socket socket) => socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));

    /// <summary>How many UDP sockets in this network namespace are bound to exactly <paramref name="address"/>:<paramref name="port"/>; null when the table cannot be read.</summary>
    public static int? CountBound(IPAddress address, int port)
    {
        var table = UdpReceiveDrops.Tables[address.AddressFamily == AddressFamily.InterNetworkV6 ? 1 : 0];
        string text;
        try
        {
            text = File.ReadAllText(table);
        }
        catch (IOException)
        {
            return null;
        }
        return CountBound(text, address, port);
    }

    /// <summary>
    /// Rows of a /proc/net/udp table ("sl local_address rem_address ..." after a header) whose local address is
    /// <paramref name="address"/>:<paramref name="port"/>. The kernel prints the address as the 32-bit words it stores, in host
    /// order, and the port in hex: 127.0.0.1:41000 is "0100007F:A028" on a little-endian machine.
    /// </summary>
    public static int CountBound(string text, IPAddress address, int port)
    {
        var local = Format(address, port);
        var count = 0;
        foreach (var fields in UdpReceiveDrops.Rows(text))
        {
            if (fields.Length > 1 && string.Equals(fields[1], local, StringComparison.OrdinalIgnoreCase))
            {
                count++;
            }
        }
        return count;
    }

    /// <summary>The local_address column for an address and port (little-endian host).</summary>
    public static string Format(IPAddress address, int port)
    {
        var bytes = address.GetAddressBytes();
        var text = new StringBuilder(bytes.Length * 2 + 5);
        for (var word = 0; word < bytes.Length; word += 4)
        {
            for (var i = 3; i >= 0; i--)
            {
                text.Append(bytes[word + i].ToString("X2", CultureInfo.InvariantCulture));
            }
        }
        return text.Append(':').Append(port.ToString("X4", CultureInfo.InvariantCulture)).ToString();
    }
}
