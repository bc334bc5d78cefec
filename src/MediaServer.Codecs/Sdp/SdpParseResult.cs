using System.Diagnostics.CodeAnalysis;

namespace MediaServer.Codecs.Sdp;

/// <summary>
/// The outcome of <see cref="SdpParser.Parse(string?, SdpLimits?)"/>: a description, or an error a person can read,
/// e.g. <c>line 12: a=rtpmap: clock rate 'abc' is not a positive whole number</c>.
/// </summary>
public sealed class SdpParseResult
{
    private SdpParseResult(SessionDescription? description, string? error, int? lineNumber)
    {
        Description = description;
        Error = error;
        LineNumber = lineNumber;
    }

    [MemberNotNullWhen(true, nameof(Description))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Success => Description is not null;

    public SessionDescription? Description { get; }

    /// <summary>The whole message, starting with <c>line N: </c> when a line is at fault.</summary>
    public string? Error { get; }

    /// <summary>1-based line of the problem; null when it concerns the whole text (empty, too long, a missing line).</summary>
    public int? LineNumber { get; }

    internal static SdpParseResult Ok(SessionDescription description) => new(description, null, null);

    internal static SdpParseResult Fail(string error) => new(null, error, null);

    internal static SdpParseResult Fail(int lineNumber, string error) =>
        new(null, "line " + SdpText.Format(lineNumber) + ": " + error, lineNumber);

    public override string ToString() => Success ? "SDP parsed" : Error;
}
