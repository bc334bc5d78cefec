using System.Globalization;

namespace MediaServer.Testing.Sdp;

public sealed record RtpMap(int PayloadType, string EncodingName, int ClockRate, int? Channels);

public sealed class SdpMedia
{
    public required string Kind { get; init; }

    public required int Port { get; init; }

    public required string Protocol { get; init; }

    public required IReadOnlyList<int> Formats { get; init; }

    /// <summary>The m-line's c= address, or the session's when the m-line has none (RFC 4566 §5.7).</summary>
    public required string? ConnectionAddress { get; init; }

    public required IReadOnlyDictionary<int, RtpMap> RtpMaps { get; init; }

    public required IReadOnlyDictionary<int, string> Fmtps { get; init; }

    public required string Direction { get; init; }

    public IReadOnlyList<string> Attributes { get; init; } = [];

    /// <summary>The payload type bound to <paramref name="encodingName"/> (case-insensitive), or null.</summary>
    public int? PayloadTypeOf(string encodingName) =>
        Formats.Where(pt => RtpMaps.TryGetValue(pt, out var map) && string.Equals(map.EncodingName, encodingName, StringComparison.OrdinalIgnoreCase))
            .Select(pt => (int?)pt)
            .FirstOrDefault();

    public override string ToString() => $"m={Kind} {Port} {Protocol} {string.Join(' ', Formats)} c={ConnectionAddress} {Direction}";
}

/// <summary>
/// A small SDP reader for what the tests need from an answer: m-lines, ports, c= addresses, rtpmaps, directions.
/// Kept local to the tests on purpose: the product's SDP parser must not be what checks itself.
/// </summary>
public sealed class SdpDescription
{
    private SdpDescription(string? sessionAddress, IReadOnlyList<SdpMedia> media)
    {
        SessionAddress = sessionAddress;
        Media = media;
    }

    public string? SessionAddress { get; }

    public IReadOnlyList<SdpMedia> Media { get; }

    public static SdpDescription Parse(string sdp)
    {
        string? sessionAddress = null;
        var media = new List<SdpMedia>();
        MediaBuilder? current = null;
        var sawVersion = false;
        foreach (var raw in sdp.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }

            if (line.Length < 2 || line[1] != '=')
            {
                throw new FormatException($"Not an SDP line: '{line}'");
            }

            var value = line[2..];
            switch (line[0])
            {
                case 'v':
                    sawVersion = true;
                    break;
                case 'c':
                    // RFC 4566 §5.7: c=IN IP4 <address>
                    var parts = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (parts.Length < 3)
                    {
                        throw new FormatException($"Bad c= line: '{line}'");
                    }

                    var address = parts[2].Split('/')[0];
                    if (current is null)
                    {
                        sessionAddress = address;
                    }
                    else
                    {
                        current.Address = address;
                    }

                    break;
                case 'm':
                    if (current is not null)
                    {
                        media.Add(current.Build(sessionAddress));
                    }

                    current = MediaBuilder.FromMLine(value, line);
                    break;
                case 'a' when current is not null:
                    current.AddAttribute(value);
                    break;
            }
        }

        if (current is not null)
        {
            media.Add(current.Build(sessionAddress));
        }

        if (!sawVersion)
        {
            throw new FormatException("SDP has no v= line");
        }

        return new SdpDescription(sessionAddress, media);
    }

    private sealed class MediaBuilder
    {
        private readonly Dictionary<int, RtpMap> _rtpMaps = [];
        private readonly Dictionary<int, string> _fmtps = [];
        private readonly List<string> _attributes = [];

        public required string Kind { get; init; }

        public required int Port { get; init; }

        public required string Protocol { get; init; }

        public required List<int> Formats { get; init; }

        public string? Address { get; set; }

        public string Direction { get; set; } = "sendrecv";

        public static MediaBuilder FromMLine(string value, string line)
        {
            // RFC 4566 §5.14: m=<media> <port>[/<count>] <proto> <fmt> ...
            var parts = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 3 || !int.TryParse(parts[1].Split('/')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            {
                throw new FormatException($"Bad m= line: '{line}'");
            }

            var formats = new List<int>();
            foreach (var fmt in parts.Skip(3))
            {
                if (int.TryParse(fmt, NumberStyles.None, CultureInfo.InvariantCulture, out var pt))
                {
                    formats.Add(pt);
                }
            }

            return new MediaBuilder { Kind = parts[0], Port = port, Protocol = parts[2], Formats = formats };
        }

        public void AddAttribute(string value)
        {
            _attributes.Add(value);
            if (value is "sendrecv" or "recvonly" or "sendonly" or "inactive")
            {
                Direction = value;
            }
            else if (value.StartsWith("rtpmap:", StringComparison.Ordinal))
            {
                // RFC 4566 §6: a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]
                var space = value.IndexOf(' ', StringComparison.Ordinal);
                if (space > 7 && int.TryParse(value.AsSpan(7, space - 7), NumberStyles.None, CultureInfo.InvariantCulture, out var pt))
                {
                    var encoding = value[(space + 1)..].Trim().Split('/');
                    var clock = encoding.Length > 1 && int.TryParse(encoding[1], NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? c : 0;
                    int? channels = encoding.Length > 2 && int.TryParse(encoding[2], NumberStyles.None, CultureInfo.InvariantCulture, out var ch) ? ch : null;
                    _rtpMaps[pt] = new RtpMap(pt, encoding[0], clock, channels);
                }
            }
            else if (value.StartsWith("fmtp:", StringComparison.Ordinal))
            {
                var space = value.IndexOf(' ', StringComparison.Ordinal);
                if (space > 5 && int.TryParse(value.AsSpan(5, space - 5), NumberStyles.None, CultureInfo.InvariantCulture, out var pt))
                {
                    _fmtps[pt] = value[(space + 1)..].Trim();
                }
            }
        }

        public SdpMedia Build(string? sessionAddress) => new()
        {
            Kind = Kind,
            Port = Port,
            Protocol = Protocol,
            Formats = Formats,
            ConnectionAddress = Address ?? sessionAddress,
            RtpMaps = _rtpMaps,
            Fmtps = _fmtps,
            Direction = Direction,
            Attributes = _attributes,
        };
    }
}
