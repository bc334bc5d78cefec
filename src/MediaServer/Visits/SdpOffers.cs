using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using MediaServer.Codecs.Sdp;
using MediaServer.Routing;

namespace MediaServer.Visits;

/// <summary>
/// Reads a join offer into the relay's terms (RFC 3264 §5–6, docs/api.md SDP rules) and writes the answer. The SDP text itself is
/// parsed and written by <see cref="SessionDescription"/>, which enforces the size and count limits against hostile offers.
/// </summary>
public static class SdpOffers
{
    public static bool TryRead(string text, [NotNullWhen(true)] out MediaOffer? offer, [NotNullWhen(false)] out string? error)
    {
        offer = null;
        if (!SessionDescription.TryParse(text, out var session, out error))
        {
            return false;
        }
        IPAddress? sessionAddress = null;
        if (session.Connection is { } connection && !connection.TryGetIPAddress(out sessionAddress))
        {
            error = $"the session c= line '{connection}' does not hold an IP address.";
            return false;
        }
        var media = new List<OfferedMedia>(session.Media.Count);
        var index = 0;
        foreach (var description in session.Media)
        {
            IPAddress? address = sessionAddress;
            if (description.Connection is { } own && !own.TryGetIPAddress(out address))
            {
                error = $"m-line {index + 1}: c= line '{own}' does not hold an IP address.";
                return false;
            }
            if (description.Port != 0 && !session.IsWebRtc && address is null)
            {
                error = $"m-line {index + 1} ({description.Media}) has no c= line, at media or session level (RFC 8866 §5.7).";
                return false;
            }
            media.Add(new OfferedMedia(index, description.Media, description.Port, description.Protocol, description.Formats, address,
                description.Rtcp?.Port, description.Direction, SupportedFormats(description), description.Mid));
            index++;
        }
        WebRtcOfferInfo? webRtc = null;
        if (session.IsWebRtc && !TryReadWebRtc(session, out webRtc, out error))
        {
            return false;
        }
        offer = new MediaOffer(session.IsWebRtc, media, webRtc);
        return true;
    }

    /// <summary>ICE credentials, fingerprints and setup of a WebRTC offer (RFC 8829 §5.8, RFC 8842 §5.1): required to answer.</summary>
    private static bool TryReadWebRtc(SessionDescription session, [NotNullWhen(true)] out WebRtcOfferInfo? info, [NotNullWhen(false)] out string? error)
    {
        info = null;
        var first = session.Media.FirstOrDefault(m => m.Port != 0 && m.IsWebRtc);
        if (first is null)
        {
            error = "the WebRTC offer has no m-line with a port.";
            return false;
        }
        if (first.IceUfrag is not { } ufrag || first.IcePwd is not { } pwd)
        {
            error = "a WebRTC offer needs a=ice-ufrag and a=ice-pwd (RFC 8839 §5.4).";
            return false;
        }
        var fingerprints = first.Fingerprints;
        if (fingerprints.Count == 0)
        {
            error = "a WebRTC offer needs a=fingerprint (RFC 8122 §5).";
            return false;
        }
        var setup = first.Setup ?? SdpSetup.ActPass;
        if (setup is SdpSetup.Passive or SdpSetup.HoldConn)
        {
            error = $"the offer's a=setup:{setup.ToAttributeValue()} leaves no DTLS client; the server is always passive (RFC 5763 §5).";
            return false;
        }
        foreach (var media in session.Media)
        {
            if (media.Port != 0 && media.IsRtp && !media.RtcpMux)
            {
                error = $"m-line '{media.Mid ?? media.Media}' does not offer a=rtcp-mux, which WebRTC requires (RFC 8834 §5.1.1).";
                return false;
            }
        }
        info = new WebRtcOfferInfo(ufrag, pwd, fingerprints, setup);
        error = null;
        return true;
    }

    /// <summary>The offered formats the relay forwards, in the offer's order of preference.</summary>
    private static List<OfferedFormat> SupportedFormats(MediaDescription description)
    {
        var formats = new List<OfferedFormat>();
        if (!description.IsRtp)
        {
            return formats;
        }
        foreach (var payloadType in description.PayloadTypes)
        {
            if (payloadType is < 0 or > 127 || description.GetRtpMap(payloadType) is not { } rtpMap)
            {
                continue; // Static payload types (PCMU, PCMA…) are not among the codecs we relay.
            }
            var fmtp = description.GetFmtp(payloadType);
            var codec = Classify(description.Media, rtpMap, fmtp);
            if (codec != MediaCodec.None)
            {
                var feedback = new List<string>();
                foreach (var entry in description.GetRtcpFeedback(payloadType))
                {
                    var value = entry.Subtype is null ? entry.Type : entry.Type + " " + entry.Subtype;
                    if (!feedback.Contains(value))
                    {
                        feedback.Add(value);
                    }
                }
                formats.Add(new OfferedFormat((byte)payloadType, codec, rtpMap.ToString(), fmtp?.RawParameters) { Feedback = feedback });
            }
        }
        return formats;
    }

    private static MediaCodec Classify(string media, SdpRtpMap rtpMap, SdpFmtp? fmtp)
    {
        if (media == "video" && rtpMap.Is("VP8") && rtpMap.ClockRate == 90000)
        {
            return MediaCodec.Vp8;
        }
        // RFC 6184 §8.1: packetization-mode defaults to 0 (single NAL only); the relay forwards mode 1 streams (FU-A, STAP-A).
        // A profile-level-id no profile has cannot be matched with anyone's, so such a format is not taken either.
        if (media == "video" && rtpMap.Is("H264") && rtpMap.ClockRate == 90000
            && fmtp is not null && fmtp.TryGetParameter("packetization-mode", out var mode) && mode == "1"
            && H264ProfileLevelId.TryFromFmtp(fmtp.RawParameters, out _))
        {
            return MediaCodec.H264;
        }
        // RFC 7587 §7: opus is always declared as opus/48000/2.
        if (media == "audio" && rtpMap.Is("opus") && rtpMap.ClockRate == 48000 && rtpMap.Channels == 2)
        {
            return MediaCodec.Opus;
        }
        return MediaCodec.None;
    }

    /// <summary>Feedback the relay acts on, answered only where the offer named it for that payload type.</summary>
    private static readonly string[] AnsweredFeedback = ["nack", "nack pli", "ccm fir", "goog-remb"];

    /// <summary>What a WebRTC answer says about us: ICE-lite credentials, the DTLS fingerprint, the host candidate.</summary>
    public sealed record WebRtcAnswerInfo(string IceUfrag, string IcePwd, SdpFingerprint Fingerprint, IPAddress CandidateAddress, int CandidatePort,
        IReadOnlyDictionary<int, (uint Ssrc, string StreamId, string TrackId)> Senders)
    {
        /// <summary>Whether the answer offers generic NACK (MediaServer:WebRtc:Nack); "nack pli" is answered either way.</summary>
        public bool Nack { get; init; } = true;
    }

    /// <summary>
    /// Writes a WebRTC answer (RFC 8829 §5.3): ICE-lite, one BUNDLE group over the accepted m-lines (RFC 8843), rtcp-mux,
    /// setup:passive, our fingerprint and host candidate, and an SSRC and msid for each m-line we send on, so the browser has a
    /// track to put each slot's media in.
    /// </summary>
    public static string WriteWebRtcAnswer(IReadOnlyList<AnsweredMedia> answer, WebRtcAnswerInfo info)
    {
        var address = info.CandidateAddress;
        var session = new SessionDescription
        {
            Origin = SdpOrigin.Create(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), "1"),
            SessionName = "MediaServer",
        };
        session.AddAttribute("ice-lite");
        var bundled = answer.Where(a => a.Port != 0 && a.Offer.Mid is not null).Select(a => a.Offer.Mid!).ToList();
        if (bundled.Count > 0)
        {
            session.AddGroup("BUNDLE", bundled);
        }
        for (var i = 0; i < answer.Count; i++)
        {
            var media = answer[i];
            if (media.Port == 0)
            {
                var formats = media.Offer.Formats.Count > 0 ? media.Offer.Formats : ["0"];
                var rejected = new MediaDescription(media.Offer.Media, 0, media.Offer.Protocol, formats);
                if (media.Offer.Mid is { } rejectedMid)
                {
                    rejected.AddAttribute("mid", rejectedMid);
                }
                session.Media.Add(rejected);
                continue;
            }
            var description = new MediaDescription(media.Offer.Media, info.CandidatePort, media.Offer.Protocol,
                media.Formats.Select(f => f.PayloadType.ToString(CultureInfo.InvariantCulture)))
            {
                Connection = SdpConnection.FromIPAddress(address),
            };
            description.AddAttribute("ice-ufrag", info.IceUfrag);
            description.AddAttribute("ice-pwd", info.IcePwd);
            description.AddAttribute("fingerprint", info.Fingerprint.ToString());
            description.AddAttribute("setup", "passive");
            if (media.Offer.Mid is { } mid)
            {
                description.AddAttribute("mid", mid);
            }
            description.AddAttribute(media.Direction.ToAttributeName());
            description.AddAttribute("rtcp-mux");
            foreach (var format in media.Formats)
            {
                description.AddAttribute(SdpRtpMap.AttributeName, format.RtpMap);
                if (format.Fmtp is { } fmtp)
                {
                    description.AddFmtp(format.PayloadType, fmtp);
                }
                foreach (var feedback in AnsweredFeedback)
                {
                    if (format.Feedback.Contains(feedback) && (info.Nack || feedback != "nack"))
                    {
                        var parts = feedback.Split(' ');
                        description.AddRtcpFeedback(format.PayloadType, parts[0], parts.Length > 1 ? parts[1] : null);
                    }
                }
            }
            if (info.Senders.TryGetValue(i, out var sender))
            {
                description.AddAttribute("msid", sender.StreamId + " " + sender.TrackId);
                description.AddSsrc(sender.Ssrc, "cname", "mediaserver");
                description.AddSsrc(sender.Ssrc, "msid", sender.StreamId + " " + sender.TrackId);
            }
            // RFC 8445 §5.1.2.1 priority for a host candidate: type preference 126, local preference 65535, component 1.
            description.AddAttribute("candidate",
                $"1 1 udp 2130706431 {address} {info.CandidatePort.ToString(CultureInfo.InvariantCulture)} typ host");
            description.AddAttribute("end-of-candidates");
            session.Media.Add(description);
        }
        return session.ToString();
    }

    /// <summary>Writes the answer: one m-line per offered m-line, in order; a rejected one has port 0 (RFC 3264 §6).</summary>
    public static string WriteAnswer(IReadOnlyList<AnsweredMedia> answer, IPAddress address)
    {
        var addressType = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "IP6" : "IP4";
        var session = new SessionDescription
        {
            Origin = SdpOrigin.Create(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), "1",
                address.ToString(), addressType),
            SessionName = "MediaServer",
            Connection = SdpConnection.FromIPAddress(address),
        };
        foreach (var media in answer)
        {
            if (media.Port == 0)
            {
                // Rejected: keep the media type and at least one format of the offer.
                var formats = media.Offer.Formats.Count > 0 ? media.Offer.Formats : ["0"];
                session.Media.Add(new MediaDescription(media.Offer.Media, 0, media.Offer.Protocol, formats));
                continue;
            }
            var description = new MediaDescription(media.Offer.Media, media.Port, media.Offer.Protocol,
                media.Formats.Select(f => f.PayloadType.ToString(CultureInfo.InvariantCulture)));
            if (media.Offer.Mid is { } mid)
            {
                description.AddAttribute("mid", mid);
            }
            foreach (var format in media.Formats)
            {
                description.AddAttribute(SdpRtpMap.AttributeName, format.RtpMap);
                if (format.Fmtp is { } fmtp)
                {
                    description.AddFmtp(format.PayloadType, fmtp);
                }
                // RFC 4585 §4.2: generic NACK is answered (and resent from the cache) only where the offer asked for it.
                if (format.Feedback.Contains("nack"))
                {
                    description.AddRtcpFeedback(format.PayloadType, "nack", null);
                }
            }
            description.AddAttribute(SdpRtcp.AttributeName, (media.Port + 1).ToString(CultureInfo.InvariantCulture));
            description.AddAttribute(media.Direction.ToAttributeName());
            session.Media.Add(description);
        }
        return session.ToString();
    }
}
