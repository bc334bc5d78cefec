namespace MediaServer.Codecs.Tests.TestData;

/// <summary>Reads the hex capture files in TestData/ (see README.md there) and hex literals in tests.</summary>
internal static class Hex
{
    /// <summary>Bytes from hex digits; whitespace is ignored so tests can group bytes as the RFC diagrams do.</summary>
    public static byte[] Parse(string hex)
    {
        var digits = new System.Text.StringBuilder(hex.Length);
        foreach (char c in hex)
        {
            if (!char.IsWhiteSpace(c))
            {
                digits.Append(c);
            }
        }

        return Convert.FromHexString(digits.ToString());
    }

    /// <summary>A capture file: label → datagram, in file order. Lines starting with '#' are comments.</summary>
    public static Dictionary<string, byte[]> ReadCapture(string fileName)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "TestData", fileName);
        var packets = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines(path))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            int space = line.IndexOf(' ', StringComparison.Ordinal);
            packets.Add(line[..space], Parse(line[(space + 1)..]));
        }

        return packets;
    }

    /// <summary>One datagram of a capture file by label.</summary>
    public static byte[] Capture(string fileName, string label) => ReadCapture(fileName)[label];
}
