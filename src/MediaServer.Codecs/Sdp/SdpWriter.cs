using System.Globalization;
using System.Text;

namespace MediaServer.Codecs.Sdp;

/// <summary>
/// Writes a <see cref="SessionDescription"/> as SDP text: CRLF line endings (RFC 8866 §5) and the order
/// <c>v o s i u e p c b t r z k a</c>, then per media <c>m i c b k a</c>.
/// </summary>
public static class SdpWriter
{
    /// <exception cref="ArgumentException">A field contains CR, LF or NUL, which would split or corrupt a line.</exception>
    public static string Write(SessionDescription session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var sdp = new StringBuilder(1024);
        Line(sdp, 'v', session.Version.ToString(CultureInfo.InvariantCulture));
        Line(sdp, 'o', session.Origin.ToString());
        Line(sdp, 's', session.SessionName);
        Optional(sdp, 'i', session.Information);
        Optional(sdp, 'u', session.Uri);
        foreach (var email in session.Emails)
        {
            Line(sdp, 'e', email);
        }
        foreach (var phone in session.Phones)
        {
            Line(sdp, 'p', phone);
        }
        Optional(sdp, 'c', session.Connection?.ToString());
        foreach (var bandwidth in session.Bandwidths)
        {
            Line(sdp, 'b', bandwidth.ToString());
        }
        foreach (var timing in session.Timings)
        {
            Line(sdp, 't', timing.ToString());
            foreach (var repeat in timing.Repeats)
            {
                Line(sdp, 'r', repeat);
            }
        }
        Optional(sdp, 'z', session.TimeZones);
        Optional(sdp, 'k', session.EncryptionKey);
        foreach (var attribute in session.Attributes)
        {
            Line(sdp, 'a', attribute.ToString());
        }
        foreach (var media in session.Media)
        {
            WriteMedia(sdp, media);
        }
        return sdp.ToString();
    }

    private static void WriteMedia(StringBuilder sdp, MediaDescription media)
    {
        var port = media.Port.ToString(CultureInfo.InvariantCulture)
            + (media.PortCount is int count ? "/" + count.ToString(CultureInfo.InvariantCulture) : string.Empty);
        var formats = media.Formats.Count == 0 ? string.Empty : " " + string.Join(' ', media.Formats);
        Line(sdp, 'm', $"{media.Media} {port} {media.Protocol}{formats}");
        Optional(sdp, 'i', media.Information);
        Optional(sdp, 'c', media.Connection?.ToString());
        foreach (var bandwidth in media.Bandwidths)
        {
            Line(sdp, 'b', bandwidth.ToString());
        }
        Optional(sdp, 'k', media.EncryptionKey);
        foreach (var attribute in media.Attributes)
        {
            Line(sdp, 'a', attribute.ToString());
        }
    }

    private static void Optional(StringBuilder sdp, char type, string? value)
    {
        if (value is not null)
        {
            Line(sdp, type, value);
        }
    }

    private static void Line(StringBuilder sdp, char type, string value)
    {
        // A CR or LF from a peer-supplied value would let it inject its own lines into our answer.
        if (value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
        {
            throw new ArgumentException($"the {type}= value contains a CR, LF or NUL character and cannot be written", nameof(value));
        }
        sdp.Append(type).Append('=').Append(value).Append("\r\n");
    }
}
