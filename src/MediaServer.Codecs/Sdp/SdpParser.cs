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

        var reader = new SdpReader(limits);
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
}
