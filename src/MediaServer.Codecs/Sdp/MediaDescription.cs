using System.Globalization;

namespace MediaServer.Codecs.Sdp;

/// <summary>
/// One media description (RFC 8866 §5.14): the <c>m=</c> line and the <c>i= c= b= k= a=</c> lines under it.
/// The typed properties read the attribute list each time they are asked; the list is the truth, so attributes the
/// server does not understand round-trip unchanged. Properties that RFCs allow at session level too (direction,
/// ICE credentials, fingerprint, setup) fall back to the owning <see cref="Session"/>.
/// </summary>
public sealed class MediaDescription
{
    public MediaDescription()
    {
    }

    public MediaDescription(string media, int port, string protocol, params IEnumerable<string> formats)
    {
        Media = media;
        Port = port;
        Protocol = protocol;
        Formats.AddRange(formats);
    }

    /// <summary>The media type: <c>audio</c>, <c>video</c>, <c>application</c>, ...</summary>
    public string Media { get; set; } = "audio";

    /// <summary>Transport port, 0..65535. Port 0 marks a rejected or disabled stream (RFC 3264 §5.1, §6).</summary>
    public int Port { get; set; }

    /// <summary>The <c>/&lt;number of ports&gt;</c> suffix of the port, if present (RFC 8866 §5.14).</summary>
    public int? PortCount { get; set; }

    /// <summary>Transport protocol: <c>RTP/AVP</c>, <c>RTP/AVPF</c>, <c>UDP/TLS/RTP/SAVPF</c>, <c>UDP/DTLS/SCTP</c>, ...</summary>
    public string Protocol { get; set; } = "RTP/AVP";

    /// <summary>The formats of the m= line; for RTP profiles these are payload type numbers 0..127.</summary>
    public List<string> Formats { get; } = [];

    /// <summary><c>i=</c>.</summary>
    public string? Information { get; set; }

    /// <summary>Media-level <c>c=</c>; see <see cref="SessionDescription.EffectiveConnection"/>.</summary>
    public SdpConnection? Connection { get; set; }

    /// <summary><c>b=</c> lines.</summary>
    public List<SdpBandwidth> Bandwidths { get; } = [];

    /// <summary><c>k=</c> (obsolete, RFC 8866 §5.12), kept raw.</summary>
    public string? EncryptionKey { get; set; }

    /// <summary>Every <c>a=</c> line in order.</summary>
    public List<SdpAttribute> Attributes { get; } = [];

    /// <summary>The session this media description belongs to, set when it is added to <see cref="SessionDescription.Media"/>.</summary>
    public SessionDescription? Session { get; internal set; }

    // ---- transport ----

    /// <summary>True for RTP profiles (<c>RTP/AVP</c>, <c>RTP/AVPF</c>, <c>RTP/SAVP</c>, <c>UDP/TLS/RTP/SAVPF</c>, ...).</summary>
    public bool IsRtp => IsRtpProtocol(Protocol);

    /// <summary>True for the WebRTC profiles: SAVPF or anything over DTLS (RFC 8827, RFC 8841).</summary>
    public bool IsWebRtc =>
        Protocol.Contains("SAVPF", StringComparison.OrdinalIgnoreCase) || Protocol.Contains("DTLS", StringComparison.OrdinalIgnoreCase);

    /// <summary>The formats as payload type numbers; empty unless <see cref="IsRtp"/>.</summary>
    public IReadOnlyList<int> PayloadTypes
    {
        get
        {
            var list = new List<int>(Formats.Count);
            if (!IsRtp)
            {
                return list;
            }
            foreach (var format in Formats)
            {
                if (SdpText.TryParseInt(format, 0, SdpLimits.MaxPayloadType, out int pt))
                {
                    list.Add(pt);
                }
            }
            return list;
        }
    }

    // ---- codecs ----
    // rtpmap, fmtp and rtcp-fb describe RTP payload types; on other m-lines (UDP/DTLS/SCTP's
    // "a=fmtp:webrtc-datachannel ...") they mean something else, are not checked by the parser, and read as empty here.

    public IReadOnlyList<SdpRtpMap> RtpMaps =>
        IsRtp ? Attributes.ParseAll<SdpRtpMap>(SdpRtpMap.AttributeName, SdpRtpMap.TryParse) : [];

    public SdpRtpMap? GetRtpMap(int payloadType) => RtpMaps.FirstOrDefault(m => m.PayloadType == payloadType);

    public IReadOnlyList<SdpFmtp> Fmtps => IsRtp ? Attributes.ParseAll<SdpFmtp>(SdpFmtp.AttributeName, SdpFmtp.TryParse) : [];

    /// <summary>The fmtp for a payload type, or null when the offer gave none.</summary>
    public SdpFmtp? GetFmtp(int payloadType) => Fmtps.FirstOrDefault(f => f.PayloadType == payloadType);

    public IReadOnlyList<SdpRtcpFeedback> RtcpFeedback =>
        IsRtp ? Attributes.ParseAll<SdpRtcpFeedback>(SdpRtcpFeedback.AttributeName, SdpRtcpFeedback.TryParse) : [];

    /// <summary>The feedback that applies to one payload type: its own lines and the <c>*</c> lines.</summary>
    public IReadOnlyList<SdpRtcpFeedback> GetRtcpFeedback(int payloadType) =>
        RtcpFeedback.Where(f => f.AppliesTo(payloadType)).ToList();

    // ---- direction and identity ----

    /// <summary>The direction in effect: media level, else session level, else sendrecv (RFC 8866 §6.7).</summary>
    public SdpDirection Direction => Attributes.FindDirection() ?? Session?.Attributes.FindDirection() ?? SdpDirection.SendRecv;

    /// <summary>The direction attribute written on this media description, if any.</summary>
    public SdpDirection? ExplicitDirection => Attributes.FindDirection();

    /// <summary><c>a=mid</c> (RFC 5888 §4).</summary>
    public string? Mid => Attributes.Find("mid")?.Value;

    /// <summary><c>a=msid</c> lines (RFC 8830); a track may be in several streams.</summary>
    public IReadOnlyList<SdpMsid> Msids => Attributes.ParseAll<SdpMsid>(SdpMsid.AttributeName, SdpMsid.TryParse);

    /// <summary>The first <c>a=msid</c>, if any.</summary>
    public SdpMsid? Msid => Attributes.ParseFirst<SdpMsid>(SdpMsid.AttributeName, SdpMsid.TryParse);

    public IReadOnlyList<SdpSsrc> Ssrcs => Attributes.ParseAll<SdpSsrc>(SdpSsrc.AttributeName, SdpSsrc.TryParse);

    public IReadOnlyList<SdpSsrcGroup> SsrcGroups =>
        Attributes.ParseAll<SdpSsrcGroup>(SdpSsrcGroup.AttributeName, SdpSsrcGroup.TryParse);

    public IReadOnlyList<SdpExtmap> Extmaps => Attributes.ParseAll<SdpExtmap>(SdpExtmap.AttributeName, SdpExtmap.TryParse);

    // ---- RTCP ----

    /// <summary><c>a=rtcp-mux</c> (RFC 5761 §5.1.1): RTP and RTCP share one port.</summary>
    public bool RtcpMux => Attributes.Has("rtcp-mux");

    /// <summary><c>a=rtcp-rsize</c> (RFC 5506 §5): reduced-size RTCP is welcome.</summary>
    public bool RtcpReducedSize => Attributes.Has("rtcp-rsize");

    /// <summary><c>a=rtcp</c> (RFC 3605); without it RTCP goes to the RTP port + 1 (RFC 3550 §11).</summary>
    public SdpRtcp? Rtcp => Attributes.ParseFirst<SdpRtcp>(SdpRtcp.AttributeName, SdpRtcp.TryParse);

    // ---- ICE and DTLS ----

    /// <summary><c>a=ice-ufrag</c> (RFC 8839 §5.4), media level else session level.</summary>
    public string? IceUfrag => Attributes.Find("ice-ufrag")?.Value ?? Session?.IceUfrag;

    /// <summary><c>a=ice-pwd</c> (RFC 8839 §5.4), media level else session level.</summary>
    public string? IcePwd => Attributes.Find("ice-pwd")?.Value ?? Session?.IcePwd;

    /// <summary>The fingerprints in effect: this level's if it has any, else the session's (RFC 8122 §5).</summary>
    public IReadOnlyList<SdpFingerprint> Fingerprints
    {
        get
        {
            var own = Attributes.ParseAll<SdpFingerprint>(SdpFingerprint.AttributeName, SdpFingerprint.TryParse);
            return own.Count > 0 || Session is null ? own : Session.Fingerprints;
        }
    }

    /// <summary>The first fingerprint in effect, if any.</summary>
    public SdpFingerprint? Fingerprint => Fingerprints is { Count: > 0 } list ? list[0] : null;

    /// <summary><c>a=setup</c> (RFC 4145 §4), media level else session level.</summary>
    public SdpSetup? Setup => Attributes.Find(SdpSetups.AttributeName) is { } attribute
        ? (SdpSetups.TryParse(attribute.Value, out var setup, out var error) ? setup : throw new FormatException("a=setup: " + error))
        : Session?.Setup;

    public IReadOnlyList<SdpCandidate> Candidates =>
        Attributes.ParseAll<SdpCandidate>(SdpCandidate.AttributeName, SdpCandidate.TryParse);

    /// <summary><c>a=end-of-candidates</c> (RFC 8840 §8.2).</summary>
    public bool EndOfCandidates => Attributes.Has("end-of-candidates");

    // ---- attribute look-up ----

    public SdpAttribute? GetAttribute(string name) => Attributes.Find(name);

    public IEnumerable<SdpAttribute> GetAttributes(string name) => Attributes.FindAll(name);

    public bool HasAttribute(string name) => Attributes.Has(name);

    // ---- building (fluent; each returns this) ----

    public MediaDescription AddAttribute(string name, string? value = null)
    {
        Attributes.Add(new SdpAttribute(name, value));
        return this;
    }

    /// <summary>Removes every attribute with this name, then adds one.</summary>
    public MediaDescription SetAttribute(string name, string? value = null)
    {
        RemoveAttributes(name);
        return AddAttribute(name, value);
    }

    public int RemoveAttributes(string name) =>
        Attributes.RemoveAll(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase));

    public MediaDescription AddFormat(int payloadType)
    {
        Formats.Add(payloadType.ToString(CultureInfo.InvariantCulture));
        return this;
    }

    public MediaDescription AddRtpMap(SdpRtpMap rtpMap) => AddAttribute(SdpRtpMap.AttributeName, rtpMap.ToString());

    public MediaDescription AddRtpMap(int payloadType, string encodingName, int clockRate, int? channels = null) =>
        AddRtpMap(new SdpRtpMap(payloadType, encodingName, clockRate, channels));

    public MediaDescription AddFmtp(SdpFmtp fmtp) => AddAttribute(SdpFmtp.AttributeName, fmtp.ToString());

    public MediaDescription AddFmtp(int payloadType, string parameters) => AddFmtp(new SdpFmtp(payloadType, parameters));

    public MediaDescription AddRtcpFeedback(SdpRtcpFeedback feedback) =>
        AddAttribute(SdpRtcpFeedback.AttributeName, feedback.ToString());

    /// <summary>Adds <c>a=rtcp-fb</c>; a null payload type writes <c>*</c>.</summary>
    public MediaDescription AddRtcpFeedback(int? payloadType, string type, string? subtype = null) =>
        AddRtcpFeedback(new SdpRtcpFeedback(payloadType, type, subtype));

    public MediaDescription AddExtmap(SdpExtmap extmap) => AddAttribute(SdpExtmap.AttributeName, extmap.ToString());

    public MediaDescription AddSsrc(uint ssrc, string attribute, string? value = null) =>
        AddAttribute(SdpSsrc.AttributeName, new SdpSsrc(ssrc, attribute, value).ToString());

    public MediaDescription AddSsrcGroup(string semantics, params IEnumerable<uint> ssrcs) =>
        AddAttribute(SdpSsrcGroup.AttributeName, new SdpSsrcGroup(semantics, ssrcs.ToArray()).ToString());

    public MediaDescription AddFingerprint(SdpFingerprint fingerprint) =>
        AddAttribute(SdpFingerprint.AttributeName, fingerprint.ToString());

    public MediaDescription AddCandidate(SdpCandidate candidate) => AddAttribute(SdpCandidate.AttributeName, candidate.Raw);

    /// <summary>Replaces any direction attribute on this media description with <paramref name="direction"/>.</summary>
    public MediaDescription SetDirection(SdpDirection direction)
    {
        Attributes.RemoveAll(a => SdpDirections.TryParse(a.Name, out _));
        return AddAttribute(direction.ToAttributeName());
    }

    public MediaDescription SetMid(string mid) => SetAttribute("mid", mid);

    public MediaDescription SetSetup(SdpSetup setup) => SetAttribute(SdpSetups.AttributeName, setup.ToAttributeValue());

    public MediaDescription SetIceCredentials(string ufrag, string pwd) => SetAttribute("ice-ufrag", ufrag).SetAttribute("ice-pwd", pwd);

    public MediaDescription SetMsid(SdpMsid msid) => SetAttribute(SdpMsid.AttributeName, msid.ToString());

    internal static bool IsRtpProtocol(string protocol)
    {
        // RFC 8866 §5.14: RTP profiles are named ".../RTP/<profile>" or "RTP/<profile>".
        foreach (var part in protocol.Split('/'))
        {
            if (string.Equals(part, "RTP", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    public override string ToString() => $"m={Media} {Port} {Protocol} {string.Join(' ', Formats)}";
}
