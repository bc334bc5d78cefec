namespace MediaServer.Codecs.Sdp;

/// <summary>
/// The a= lines of one parse: each attribute the server acts on (rtpmap, fmtp, rtcp-fb, mid, rtcp, extmap, ssrc, ssrc-group,
/// msid, ICE, DTLS, candidate, group, direction) is checked here, with the per-section duplicate checks, so the typed
/// accessors on a parsed description never fail.
/// </summary>
internal sealed partial class SdpReader
{
    private string? ParseAttribute(int lineNumber, string text)
    {
        var attributes = _media is null ? _session.Attributes : _media.Attributes;
        if (attributes.Count >= _limits.MaxAttributesPerSection)
        {
            return $"too many attributes: the limit is {SdpText.Format(_limits.MaxAttributesPerSection)} a= lines per section";
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
