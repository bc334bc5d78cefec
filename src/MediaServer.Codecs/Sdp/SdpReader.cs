namespace MediaServer.Codecs.Sdp;

/// <summary>
/// The line-by-line state of one <see cref="SdpParser"/> run: the RFC 8866 line grammar (which line types may appear where,
/// and how often) and the session- and media-level lines. The a= lines the server acts on are checked in
/// SdpReader.Attributes.cs.
/// </summary>
internal sealed partial class SdpReader
{
    private readonly SdpLimits _limits;

    public SdpReader(SdpLimits limits) => _limits = limits;

    private readonly SessionDescription _session = NewEmptySession();
    private bool _sawVersion;
    private bool _sawOrigin;
    private bool _sawName;
    private MediaDescription? _media;
    private Section _section = new(0);
    private readonly Dictionary<string, int> _midLines = new(StringComparer.Ordinal);
    private readonly List<(int Line, SdpGroup Group)> _groups = [];

    public string? Accept(int lineNumber, string line)
    {
        if (line.Length == 0)
        {
            return null;
        }
        if (line.Length < 2 || line[1] != '=')
        {
            return $"expected '<letter>=<value>' but found {SdpText.Quote(line)}";
        }
        var type = line[0];
        if (!char.IsAsciiLetterLower(type))
        {
            return $"{SdpText.Quote(type + "=")} is not an SDP line type; every line starts with a lower-case letter and '='";
        }
        var value = line[2..];
        foreach (var c in value)
        {
            if (c == '\r')
            {
                return "the line contains a carriage return that does not end it";
            }
            if (c == '\0')
            {
                return "the line contains a NUL character";
            }
        }
        if (!_sawVersion)
        {
            if (type != 'v')
            {
                return $"the first line must be 'v=0' but is {SdpText.Quote(line)}";
            }
            if (value != "0")
            {
                return $"the SDP version must be 0 but is {SdpText.Quote(value)}";
            }
            _sawVersion = true;
            return null;
        }
        return type switch
        {
            'v' => "a second v= line; one SDP body holds one session description",
            'o' => SessionOnly(type) ?? ParseOrigin(value),
            's' => SessionOnly(type) ?? ParseName(value),
            'i' => ParseInformation(value),
            'u' => SessionOnly(type) ?? Once(_session.Uri, "u=") ?? Set(() => _session.Uri = value),
            'e' => SessionOnly(type) ?? Set(() => _session.Emails.Add(value)),
            'p' => SessionOnly(type) ?? Set(() => _session.Phones.Add(value)),
            'c' => ParseConnection(value),
            'b' => ParseBandwidth(value),
            't' => SessionOnly(type) ?? ParseTiming(value),
            'r' => SessionOnly(type) ?? ParseRepeat(value),
            'z' => SessionOnly(type) ?? Once(_session.TimeZones, "z=") ?? Set(() => _session.TimeZones = value),
            'k' => ParseKey(value),
            'a' => ParseAttribute(lineNumber, value),
            'm' => ParseMedia(lineNumber, value),
            _ => $"'{type}=' is not a line type defined by RFC 8866, and §5 says a description containing one must not be used",
        };
    }

    public SdpParseResult Finish()
    {
        if (!_sawVersion)
        {
            return SdpParseResult.Fail("the SDP is empty");
        }
        if (!_sawOrigin)
        {
            return SdpParseResult.Fail("the SDP has no o= (origin) line, which RFC 8866 §5.2 requires");
        }
        if (!_sawName)
        {
            return SdpParseResult.Fail("the SDP has no s= (session name) line, which RFC 8866 §5.3 requires");
        }
        if (_session.Timings.Count == 0)
        {
            return SdpParseResult.Fail("the SDP has no t= (timing) line, which RFC 8866 §5.9 requires; real-time clients send 't=0 0'");
        }
        // RFC 5888 §5 / RFC 9143 §7.1: a group names m= sections by their mid; a name that matches none is an error.
        foreach (var (line, group) in _groups)
        {
            foreach (var mid in group.Mids)
            {
                if (!_midLines.ContainsKey(mid))
                {
                    return SdpParseResult.Fail(line, $"a=group:{group.Semantics} names mid {SdpText.Quote(mid)}, which no m= section has");
                }
            }
        }
        return SdpParseResult.Ok(_session);
    }

    private static SessionDescription NewEmptySession()
    {
        var session = new SessionDescription();
        session.Timings.Clear();
        return session;
    }

    private static string? Set(Action apply)
    {
        apply();
        return null;
    }

    private static string? Once(object? existing, string what) =>
        existing is null ? null : $"a second {what} line in the same section";

    private string? SessionOnly(char type) =>
        _media is null ? null : $"{type}= is a session-level line but appears inside the media description that starts on line {SdpText.Format(_section.StartLine)}";

    private string? ParseOrigin(string value)
    {
        if (_sawOrigin)
        {
            return "a second o= line";
        }
        var f = SdpText.SplitFields(value);
        if (f.Length != 6)
        {
            return $"o= must be '<username> <session id> <version> <nettype> <addrtype> <address>' but is {SdpText.Quote(value)}";
        }
        if (!SdpText.IsVisible(f[0]))
        {
            return $"o= username {SdpText.Quote(f[0])} is not valid";
        }
        if (!SdpText.IsDigits(f[1]))
        {
            return $"o= session id {SdpText.Quote(f[1])} is not a number";
        }
        if (!SdpText.IsDigits(f[2]))
        {
            return $"o= session version {SdpText.Quote(f[2])} is not a number";
        }
        if (!SdpText.IsToken(f[3]) || !SdpText.IsToken(f[4]) || !SdpText.IsVisible(f[5]))
        {
            return $"o= network part {SdpText.Quote(f[3] + " " + f[4] + " " + f[5])} is not '<nettype> <addrtype> <address>'";
        }
        _session.Origin = new SdpOrigin(f[0], f[1], f[2], f[3], f[4], f[5]);
        _sawOrigin = true;
        return null;
    }

    private string? ParseName(string value)
    {
        if (_sawName)
        {
            return "a second s= line";
        }
        _session.SessionName = value;
        _sawName = true;
        return null;
    }

    private string? ParseInformation(string value)
    {
        if (_media is null)
        {
            return Once(_session.Information, "i=") ?? Set(() => _session.Information = value);
        }
        return Once(_media.Information, "i=") ?? Set(() => _media.Information = value);
    }

    private string? ParseKey(string value)
    {
        if (_media is null)
        {
            return Once(_session.EncryptionKey, "k=") ?? Set(() => _session.EncryptionKey = value);
        }
        return Once(_media.EncryptionKey, "k=") ?? Set(() => _media.EncryptionKey = value);
    }

    private string? ParseConnection(string value)
    {
        if ((_media is null ? _session.Connection : _media.Connection) is not null)
        {
            return "a second c= line in the same section";
        }
        var f = SdpText.SplitFields(value);
        if (f.Length != 3 || !SdpText.IsToken(f[0]) || !SdpText.IsToken(f[1]) || !SdpText.IsVisible(f[2]))
        {
            return $"c= must be '<nettype> <addrtype> <address>' but is {SdpText.Quote(value)}";
        }
        var parts = f[2].Split('/');
        if (parts.Length > 3 || parts[0].Length == 0)
        {
            return $"c= address {SdpText.Quote(f[2])} is not '<address>[/<ttl>][/<count>]'";
        }
        int? ttl = null;
        int? count = null;
        // RFC 8866 §5.7: IP4 multicast is addr/ttl[/count]; IP6 has no TTL, so its one suffix is the count.
        var isIp6 = string.Equals(f[1], "IP6", StringComparison.OrdinalIgnoreCase);
        if (parts.Length >= 2)
        {
            if (!SdpText.TryParseInt(parts[1], isIp6 ? 1 : 0, isIp6 ? 65535 : 255, out int first))
            {
                return $"c= {(isIp6 ? "address count" : "TTL")} {SdpText.Quote(parts[1])} is out of range";
            }
            if (isIp6)
            {
                if (parts.Length == 3)
                {
                    return $"c= IP6 address {SdpText.Quote(f[2])} has no TTL, only '<address>[/<count>]'";
                }
                count = first;
            }
            else
            {
                ttl = first;
            }
        }
        if (parts.Length == 3)
        {
            if (!SdpText.TryParseInt(parts[2], 1, 65535, out int n))
            {
                return $"c= address count {SdpText.Quote(parts[2])} is out of range";
            }
            count = n;
        }
        var connection = new SdpConnection(f[0], f[1], parts[0], ttl, count);
        if (_media is null)
        {
            _session.Connection = connection;
        }
        else
        {
            _media.Connection = connection;
        }
        return null;
    }

    private string? ParseBandwidth(string value)
    {
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return $"b= must be '<type>:<bandwidth>' but is {SdpText.Quote(value)}";
        }
        var type = value[..colon];
        if (!SdpText.IsToken(type))
        {
            return $"b= bandwidth type {SdpText.Quote(type)} is not a valid token";
        }
        if (!SdpText.TryParseInt(value[(colon + 1)..], 0L, long.MaxValue, out long amount))
        {
            return $"b= bandwidth {SdpText.Quote(value[(colon + 1)..])} is not a whole number";
        }
        var list = _media is null ? _session.Bandwidths : _media.Bandwidths;
        if (list.Count >= _limits.MaxAttributesPerSection)
        {
            return $"more than {SdpText.Format(_limits.MaxAttributesPerSection)} b= lines in one section, the limit";
        }
        list.Add(new SdpBandwidth(type, amount));
        return null;
    }

    private string? ParseTiming(string value)
    {
        var f = SdpText.SplitFields(value);
        if (f.Length != 2 || !SdpText.TryParseUInt64(f[0], out var start) || !SdpText.TryParseUInt64(f[1], out var stop))
        {
            return $"t= must be '<start time> <stop time>' in whole seconds but is {SdpText.Quote(value)}";
        }
        _session.Timings.Add(new SdpTiming(start, stop));
        return null;
    }

    private string? ParseRepeat(string value)
    {
        if (_session.Timings.Count == 0)
        {
            return "r= must follow a t= line";
        }
        _session.Timings[^1].Repeats.Add(value);
        return null;
    }

    private string? ParseMedia(int lineNumber, string value)
    {
        if (_session.Media.Count >= _limits.MaxMediaDescriptions)
        {
            return $"too many media descriptions: the limit is {SdpText.Format(_limits.MaxMediaDescriptions)} m= lines";
        }
        var f = SdpText.SplitFields(value);
        if (f.Length < 3)
        {
            return $"m= must be '<media> <port> <protocol> <format>...' but is {SdpText.Quote(value)}";
        }
        if (!SdpText.IsToken(f[0]))
        {
            return $"m= media type {SdpText.Quote(f[0])} is not a valid token";
        }
        var portParts = f[1].Split('/');
        if (portParts.Length > 2 || !SdpText.TryParseInt(portParts[0], 0, SdpLimits.MaxPort, out int port))
        {
            return $"m= port {SdpText.Quote(f[1])} is not a whole number in 0..{SdpText.Format(SdpLimits.MaxPort)}";
        }
        int? portCount = null;
        if (portParts.Length == 2)
        {
            if (!SdpText.TryParseInt(portParts[1], 1, SdpLimits.MaxPort, out int n))
            {
                return $"m= port count {SdpText.Quote(portParts[1])} is not a whole number in 1..{SdpText.Format(SdpLimits.MaxPort)}";
            }
            portCount = n;
        }
        var protocol = f[2];
        if (protocol.Split('/').Any(p => !SdpText.IsToken(p)))
        {
            return $"m= protocol {SdpText.Quote(protocol)} is not valid";
        }
        var formatCount = f.Length - 3;
        // RFC 8866 §5.14 requires at least one format; a disabled (port 0) section is let through without one.
        if (formatCount == 0 && port != 0)
        {
            return "m= lists no formats";
        }
        if (formatCount > _limits.MaxFormatsPerMedia)
        {
            return $"m= lists {SdpText.Format(formatCount)} formats; the limit is {SdpText.Format(_limits.MaxFormatsPerMedia)}";
        }
        var media = new MediaDescription { Media = f[0], Port = port, PortCount = portCount, Protocol = protocol };
        var isRtp = MediaDescription.IsRtpProtocol(protocol);
        for (var i = 3; i < f.Length; i++)
        {
            if (isRtp)
            {
                if (!SdpText.TryParsePayloadType(f[i], out _, out var error))
                {
                    return "m= " + error;
                }
            }
            else if (!SdpText.IsToken(f[i]))
            {
                return $"m= format {SdpText.Quote(f[i])} is not a valid token";
            }
            media.Formats.Add(f[i]);
        }
        _session.Media.Add(media);
        _media = media;
        _section = new Section(lineNumber) { IsRtp = isRtp };
        return null;
    }
}
