using System.Diagnostics.CodeAnalysis;

namespace MediaServer.Codecs.Sdp;

/// <summary>
/// A session description (RFC 8866 §5): the session-level lines and the media descriptions. Parse with
/// <see cref="Parse"/>/<see cref="TryParse"/>, write with <see cref="ToString"/> (CRLF lines in RFC 8866 §5 order).
/// A new instance has <c>v=0</c>, an origin of <c>- 0 0 IN IP4 0.0.0.0</c>, <c>s=-</c> and one <c>t=0 0</c>,
/// which is what an answer needs before its own values go in.
/// </summary>
public sealed class SessionDescription
{
    public SessionDescription()
    {
        Media = new MediaDescriptionCollection(this);
        Timings.Add(new SdpTiming(0, 0));
    }

    /// <summary><c>v=</c>; always 0 (RFC 8866 §5.1).</summary>
    public int Version { get; set; }

    /// <summary><c>o=</c>.</summary>
    public SdpOrigin Origin { get; set; } = SdpOrigin.Create("0", "0");

    /// <summary><c>s=</c>; may be empty (RFC 3264's examples send <c>s=</c>), <c>-</c> is the usual "no name".</summary>
    public string SessionName { get; set; } = "-";

    /// <summary><c>i=</c>.</summary>
    public string? Information { get; set; }

    /// <summary><c>u=</c>.</summary>
    public string? Uri { get; set; }

    /// <summary><c>e=</c> lines.</summary>
    public List<string> Emails { get; } = [];

    /// <summary><c>p=</c> lines.</summary>
    public List<string> Phones { get; } = [];

    /// <summary>Session-level <c>c=</c>.</summary>
    public SdpConnection? Connection { get; set; }

    /// <summary>Session-level <c>b=</c> lines.</summary>
    public List<SdpBandwidth> Bandwidths { get; } = [];

    /// <summary><c>t=</c> lines with their <c>r=</c> lines. A parsed description has at least one.</summary>
    public List<SdpTiming> Timings { get; } = [];

    /// <summary>The first <c>t=</c>.</summary>
    public SdpTiming? Timing => Timings.Count > 0 ? Timings[0] : null;

    /// <summary><c>z=</c>, raw.</summary>
    public string? TimeZones { get; set; }

    /// <summary><c>k=</c> (obsolete), raw.</summary>
    public string? EncryptionKey { get; set; }

    /// <summary>Session-level <c>a=</c> lines in order.</summary>
    public List<SdpAttribute> Attributes { get; } = [];

    /// <summary>The m= sections in order.</summary>
    public MediaDescriptionCollection Media { get; }

    public static SdpParseResult Parse(string? text, SdpLimits? limits = null) => SdpParser.Parse(text, limits);

    public static bool TryParse(string? text, [NotNullWhen(true)] out SessionDescription? description, [NotNullWhen(false)] out string? error)
    {
        var result = SdpParser.Parse(text);
        description = result.Description;
        error = result.Error;
        return result.Success;
    }

    // ---- typed session-level attributes ----

    /// <summary><c>a=group</c> lines (RFC 5888).</summary>
    public IReadOnlyList<SdpGroup> Groups => Attributes.ParseAll<SdpGroup>(SdpGroup.AttributeName, SdpGroup.TryParse);

    /// <summary><c>a=group:BUNDLE</c> lines (RFC 9143 §7.1).</summary>
    public IReadOnlyList<SdpGroup> BundleGroups => Groups.Where(g => g.IsBundle).ToList();

    /// <summary>True when any m= line uses a WebRTC profile (SAVPF, or DTLS) — RFC 8829's shape, not plain RTP.</summary>
    public bool IsWebRtc => Media.Any(m => m.IsWebRtc);

    /// <summary><c>a=ice-lite</c> at session level (RFC 8839 §5.3).</summary>
    public bool IsIceLite => Attributes.Has("ice-lite");

    /// <summary>Session-level direction attribute, if any; media descriptions fall back to it.</summary>
    public SdpDirection? Direction => Attributes.FindDirection();

    /// <summary>Session-level <c>a=ice-ufrag</c>.</summary>
    public string? IceUfrag => Attributes.Find("ice-ufrag")?.Value;

    /// <summary>Session-level <c>a=ice-pwd</c>.</summary>
    public string? IcePwd => Attributes.Find("ice-pwd")?.Value;

    /// <summary>Session-level <c>a=fingerprint</c> lines.</summary>
    public IReadOnlyList<SdpFingerprint> Fingerprints =>
        Attributes.ParseAll<SdpFingerprint>(SdpFingerprint.AttributeName, SdpFingerprint.TryParse);

    /// <summary>Session-level <c>a=setup</c>.</summary>
    public SdpSetup? Setup => Attributes.Find(SdpSetups.AttributeName) is { } attribute
        ? (SdpSetups.TryParse(attribute.Value, out var setup, out var error) ? setup : throw new FormatException("a=setup: " + error))
        : null;

    /// <summary>The connection that applies to a media description: its own <c>c=</c>, else the session's (RFC 8866 §5.7).</summary>
    public SdpConnection? EffectiveConnection(MediaDescription media) => media.Connection ?? Connection;

    /// <summary>The media description with this <c>a=mid</c>, if any.</summary>
    public MediaDescription? FindByMid(string mid) =>
        Media.FirstOrDefault(m => string.Equals(m.Mid, mid, StringComparison.Ordinal));

    // ---- building ----

    public SessionDescription AddAttribute(string name, string? value = null)
    {
        Attributes.Add(new SdpAttribute(name, value));
        return this;
    }

    /// <summary>Adds <c>a=group:&lt;semantics&gt; mid...</c>, e.g. <c>AddGroup("BUNDLE", "0", "1")</c>.</summary>
    public SessionDescription AddGroup(string semantics, params IEnumerable<string> mids) =>
        AddAttribute(SdpGroup.AttributeName, new SdpGroup(semantics, mids.ToArray()).ToString());

    /// <summary>The SDP text: CRLF lines in RFC 8866 §5 order.</summary>
    public override string ToString() => SdpWriter.Write(this);
}
