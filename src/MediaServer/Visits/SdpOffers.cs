using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using MediaServer.Codecs.Sdp;
using MediaServer.Routing;

namespace MediaServer.Visits;

/// <summary>
/// Reads a join offer into the relay's terms (RFC 3264 §5–6, api.md SDP rules) and writes the answer. The SDP text itself is
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
        offer = new MediaOffer(session.IsWebRtc, sessionAddress, media);
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
                formats.Add(new OfferedFormat((byte)payloadType, codec, rtpMap.ToString(), fmtp?.RawParameters));
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
        if (media == "video" && rtpMap.Is("H264") && rtpMap.ClockRate == 90000
            && fmtp is not null && fmtp.TryGetParameter("packetization-mode", out var mode) && mode == "1")
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
        session.Timings.Add(new SdpTiming(0, 0));
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
            }
            description.AddAttribute(SdpRtcp.AttributeName, (media.Port + 1).ToString(CultureInfo.InvariantCulture));
            description.AddAttribute(media.Direction.ToAttributeName());
            session.Media.Add(description);
        }
        return session.ToString();
    }
}
