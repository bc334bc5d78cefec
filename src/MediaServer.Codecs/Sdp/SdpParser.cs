namespace MediaServer.Codecs.Sdp;

/// <summary>
/// Parses SDP text (RFC 8866) from the network. Never throws: every rejection is an <see cref="SdpParseResult"/>
/// whose error names the line and the problem in words a person can act on.
/// </summary>
/// <remarks>
/// What it accepts, and where it is deliberately lenient or strict:
/// <list type="bullet">
/// <item>LF or CRLF line endings; blank lines are skipped. A bare CR or a NUL inside a line is rejected.</item>
/// <item><c>v=0</c> must be first; <c>o=</c>, <c>s=</c> and at least one <c>t=</c> are required. <c>t=</c> is not
/// optional: FFmpeg, Chromium, Firefox, Safari, aiortc, GStreamer and pion all send <c>t=0 0</c>, so a missing one is
/// more likely a broken or hand-made offer than a real client.</item>
/// <item><c>s=</c> may be empty (RFC 3264 §10's own examples send <c>s=</c>).</item>
/// <item>Session-level lines may come in any order before the first <c>m=</c> (RFC 8866 §5 fixes an order, but
/// nothing is ambiguous if a peer strays from it); the writer always uses the RFC order.</item>
/// <item>A type letter RFC 8866 does not define rejects the description (§5: such a description must be ignored as a
/// whole). Unknown <c>a=</c> attributes are kept in order.</item>
/// <item>Attributes the server acts on (rtpmap, fmtp, rtcp-fb, mid, rtcp, extmap, ssrc, ssrc-group, msid, ice-ufrag,
/// ice-pwd, fingerprint, setup, candidate, group, direction) are checked here, so the typed accessors on a parsed
/// description never fail; rtpmap/fmtp/rtcp-fb are checked only on RTP m= lines.</item>
/// <item>A <c>c=</c> line is not required: a WebRTC offer carries one in each m= section and FFmpeg at session level,
/// but the join logic is the place to decide what a missing one means (see <see cref="SessionDescription.EffectiveConnection"/>).</item>
/// </list>
/// </remarks>
public static class SdpParser
{
    public static SdpParseResult Parse(string? text, SdpLimits? limits = null)
    {
        try
        {
            return ParseUnguarded(text, limits ?? SdpLimits.Default);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A defect in this parser must not become a 500 with a stack trace; the fuzz tests call
            // ParseUnguarded so such a defect still fails a test.
            return SdpParseResult.Fail("the SDP could not be read (" + ex.GetType().Name + ")");
        }
    }

    internal static SdpParseResult ParseUnguarded(string? text, SdpLimits limits)
    {
        if (string.IsNullOrEmpty(text))
        {
            return SdpParseResult.Fail("the SDP is empty");
        }
        if (text.Length > limits.MaxLength)
        {
            return SdpParseResult.Fail(
                $"the SDP is {SdpText.Format(text.Length)} characters long; the limit is {SdpText.Format(limits.MaxLength)}");
        }

        var reader = new Reader(limits);
        var position = 0;
        var lineNumber = 0;
        while (position < text.Length)
        {
            lineNumber++;
            if (lineNumber > limits.MaxLines)
            {
                return SdpParseResult.Fail(lineNumber, $"the SDP has more than {SdpText.Format(limits.MaxLines)} lines, the limit");
            }
            var newline = text.IndexOf('\n', position);
            var end = newline < 0 ? text.Length : newline;
            var next = newline < 0 ? text.Length : newline + 1;
            if (end > position && text[end - 1] == '\r')
            {
                end--;
            }
            if (end - position > limits.MaxLineLength)
            {
                return SdpParseResult.Fail(lineNumber,
                    $"the line is {SdpText.Format(end - position)} characters long; the limit is {SdpText.Format(limits.MaxLineLength)}");
            }
            var error = reader.Accept(lineNumber, text[position..end]);
            if (error is not null)
            {
                return SdpParseResult.Fail(lineNumber, error);
            }
            position = next;
        }
        return reader.Finish();
    }

    /// <summary>The line-by-line state of one parse.</summary>
    private sealed class Reader(SdpLimits limits)
    {
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
            if (list.Count >= limits.MaxAttributesPerSection)
            {
                return $"more than {SdpText.Format(limits.MaxAttributesPerSection)} b= lines in one section, the limit";
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
            if (_session.Media.Count >= limits.MaxMediaDescriptions)
            {
                return $"too many media descriptions: the limit is {SdpText.Format(limits.MaxMediaDescriptions)} m= lines";
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
            if (formatCount > limits.MaxFormatsPerMedia)
            {
                return $"m= lists {SdpText.Format(formatCount)} formats; the limit is {SdpText.Format(limits.MaxFormatsPerMedia)}";
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

        private string? ParseAttribute(int lineNumber, string text)
        {
            var attributes = _media is null ? _session.Attributes : _media.Attributes;
            if (attributes.Count >= limits.MaxAttributesPerSection)
            {
                return $"too many attributes: the limit is {SdpText.Format(limits.MaxAttributesPerSection)} a= lines per section";
            }
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            var name = colon < 0 ? text : text[..colon];
            var value = colon < 0 ? null : text[(colon + 1)..];
            if (!SdpText.IsToken(name))
            {
                return $"attribute name {SdpText.Quote(name)} is not a valid token";
            }
            var error = Validate(lineNumber, name.ToLowerInvariant(), value);
            if (error is not null)
            {
                return $"a={name}: {error}";
            }
            attributes.Add(new SdpAttribute(name, value));
            return null;
        }

        private string? Validate(int lineNumber, string name, string? value)
        {
            var isRtpMedia = _section.IsRtp;
            switch (name)
            {
                case "rtpmap" when isRtpMedia:
                    if (!SdpRtpMap.TryParse(value, out var rtpMap, out var rtpMapError))
                    {
                        return rtpMapError;
                    }
                    return _section.RtpMapTypes.Add(rtpMap!.PayloadType)
                        ? null
                        : $"payload type {SdpText.Format(rtpMap.PayloadType)} already has an rtpmap in this media description";
                case "fmtp" when isRtpMedia:
                    if (!SdpFmtp.TryParse(value, out var fmtp, out var fmtpError))
                    {
                        return fmtpError;
                    }
                    return _section.FmtpTypes.Add(fmtp!.PayloadType)
                        ? null
                        : $"payload type {SdpText.Format(fmtp.PayloadType)} already has an fmtp in this media description";
                case "rtcp-fb" when isRtpMedia:
                    return Check<SdpRtcpFeedback>(value, SdpRtcpFeedback.TryParse);
                case "sendrecv" or "sendonly" or "recvonly" or "inactive":
                    if (_section.Direction is { } earlier)
                    {
                        return $"a second direction attribute in the same section (the first is a={earlier})";
                    }
                    _section.Direction = name;
                    return null;
                case "mid" when _media is not null:
                    if (!SdpText.IsToken(value))
                    {
                        return $"mid {SdpText.Quote(value)} is missing or not a valid token";
                    }
                    if (_media.Mid is not null)
                    {
                        return "a second a=mid in the same media description";
                    }
                    if (_midLines.TryGetValue(value!, out var otherLine))
                    {
                        return $"mid {SdpText.Quote(value)} is already used by the media description on line {SdpText.Format(otherLine)}";
                    }
                    _midLines.Add(value!, _section.StartLine);
                    return null;
                case "rtcp":
                    return Check<SdpRtcp>(value, SdpRtcp.TryParse);
                case "extmap":
                    if (!SdpExtmap.TryParse(value, out var extmap, out var extmapError))
                    {
                        return extmapError;
                    }
                    return _section.ExtmapIds.Add(extmap!.Id)
                        ? null
                        : $"extension id {SdpText.Format(extmap.Id)} is used twice in the same section";
                case "ssrc":
                    return Check<SdpSsrc>(value, SdpSsrc.TryParse);
                case "ssrc-group":
                    return Check<SdpSsrcGroup>(value, SdpSsrcGroup.TryParse);
                case "msid":
                    return Check<SdpMsid>(value, SdpMsid.TryParse);
                case "ice-ufrag":
                    // RFC 8839 §5.4: ufrag is 4..256 ice-chars, pwd 22..256.
                    return Unique(ref _section.SawUfrag)
                        ?? (SdpCandidate.IsIceCharString(value, 4, 256) ? null : $"{SdpText.Quote(value)} is not 4..256 characters of A-Z a-z 0-9 + /");
                case "ice-pwd":
                    return Unique(ref _section.SawPwd)
                        ?? (SdpCandidate.IsIceCharString(value, 22, 256) ? null : "the password is not 22..256 characters of A-Z a-z 0-9 + /");
                case "fingerprint":
                    return Check<SdpFingerprint>(value, SdpFingerprint.TryParse);
                case "setup":
                    return Unique(ref _section.SawSetup) ?? (SdpSetups.TryParse(value, out _, out var setupError) ? null : setupError);
                case "candidate":
                    return Check<SdpCandidate>(value, SdpCandidate.TryParse);
                case "group" when _media is null:
                    if (!SdpGroup.TryParse(value, out var group, out var groupError))
                    {
                        return groupError;
                    }
                    _groups.Add((lineNumber, group!));
                    return null;
                default:
                    return null;
            }
        }

        private static string? Check<T>(string? value, SdpAttributeExtensions.ValueParser<T> parse)
            where T : class =>
            parse(value, out _, out var error) ? null : error;

        private static string? Unique(ref bool seen)
        {
            if (seen)
            {
                return "appears twice in the same section";
            }
            seen = true;
            return null;
        }
    }

    /// <summary>Per-section bookkeeping for the duplicate checks.</summary>
    private sealed class Section(int startLine)
    {
        public int StartLine { get; } = startLine;
        public bool IsRtp { get; init; }
        public HashSet<int> RtpMapTypes { get; } = [];
        public HashSet<int> FmtpTypes { get; } = [];
        public HashSet<int> ExtmapIds { get; } = [];
        public string? Direction { get; set; }
        public bool SawUfrag;
        public bool SawPwd;
        public bool SawSetup;
    }
}
