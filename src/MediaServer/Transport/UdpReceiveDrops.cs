using System.Globalization;

namespace MediaServer.Transport;

/// <summary>
/// Datagrams the kernel dropped before this process read them because a UDP socket's receive buffer was full: the loss no
/// counter of ours can see, since those packets never reach a receive call. Linux keeps a per-socket count, the last column
/// ("drops") of /proc/net/udp and /proc/net/udp6; this sums it over the sockets this process holds (the socket inodes in
/// /proc/self/fd). A socket that closes keeps the count it had when last read, so the total only grows; drops on a socket in
/// the moments between its last read and its close are missed. Read at each /metrics scrape (cold path). 0 off Linux.
/// </summary>
public sealed class UdpReceiveDrops
{
    private const string FdDirectory = "/proc/self/fd";
    /// <summary>The kernel's UDP socket tables of this network namespace: IPv4, IPv6.</summary>
    internal static readonly string[] Tables = ["/proc/self/net/udp", "/proc/self/net/udp6"];

    private readonly Lock _gate = new();
    private Dictionary<ulong, long> _lastByInode = [];
    private long _closedSockets;

    /// <summary>Whether this platform has the tables.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && File.Exists(Tables[0]);

    /// <summary>Drops on this process's UDP sockets since it started (those of sockets closed since are kept).</summary>
    public long Read()
    {
        if (!IsSupported)
        {
            return 0;
        }
        lock (_gate)
        {
            // 1. The socket inodes this process holds now.
            var inodes = OwnSocketInodes();
            // 2. Their drop counts from both tables (a socket's inode is unique across them).
            var current = new Dictionary<ulong, long>(inodes.Count);
            foreach (var table in Tables)
            {
                string text;
                try
                {
                    text = File.ReadAllText(table);
                }
                catch (IOException)
                {
                    continue; // No IPv6 in this kernel, or a table that vanished: nothing to count there.
                }
                foreach (var (inode, drops) in ParseTable(text))
                {
                    if (inodes.Contains(inode))
                    {
                        current[inode] = drops;
                    }
                }
            }
            // 3. Sockets seen before and gone now keep the count they had.
            foreach (var (inode, drops) in _lastByInode)
            {
                if (!current.ContainsKey(inode))
                {
                    _closedSockets += drops;
                }
            }
            _lastByInode = current;
            var total = _closedSockets;
            foreach (var drops in current.Values)
            {
                total += drops;
            }
            return total;
        }
    }

    /// <summary>
    /// The (inode, drops) of each row of a /proc/net/udp table: after the header, "sl local rem st tx:rx tr:when retrnsmt uid
    /// timeout inode ref pointer drops". Rows that do not read that way are skipped.
    /// </summary>
    public static IEnumerable<(ulong Inode, long Drops)> ParseTable(string text)
    {
        foreach (var fields in Rows(text))
        {
            if (fields.Length >= 13
                && ulong.TryParse(fields[9], NumberStyles.None, CultureInfo.InvariantCulture, out var inode)
                && long.TryParse(fields[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var drops))
            {
                yield return (inode, drops);
            }
        }
    }

    /// <summary>The whitespace-separated fields of each row of a /proc/net/udp table, after its header line.</summary>
    internal static IEnumerable<string[]> Rows(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 1; i < lines.Length; i++)
        {
            yield return lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        }
    }

    private static HashSet<ulong> OwnSocketInodes()
    {
        var inodes = new HashSet<ulong>();
        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateFileSystemEntries(FdDirectory);
        }
        catch (IOException)
        {
            return inodes;
        }
        foreach (var entry in entries)
        {
            string? target;
            try
            {
                target = new FileInfo(entry).LinkTarget;
            }
            catch (IOException)
            {
                continue; // Closed while we looked.
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            // "socket:[12345]"
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal) && target.EndsWith(']')
                && ulong.TryParse(target.AsSpan(8, target.Length - 9), NumberStyles.None, CultureInfo.InvariantCulture, out var inode))
            {
                inodes.Add(inode);
            }
        }
        return inodes;
    }
}
