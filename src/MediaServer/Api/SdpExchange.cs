using System.Net;
using System.Text;
using MediaServer.Hosting;
using MediaServer.Transport;
using MediaServer.Visits;

namespace MediaServer.Api;

/// <summary>
/// The offer/answer exchange of a join and a tap (WHIP/WHEP-style, RFC 9725 §4.2): the offer is <c>application/sdp</c> of at
/// most <see cref="MaxOfferBytes"/>, parsed before anything is bound; the answer is 201 with the new resource's
/// <c>Location</c>.
/// </summary>
public static class SdpExchange
{
    /// <summary>An SDP offer larger than this is refused before parsing (the parser has its own, stricter limits).</summary>
    public const int MaxOfferBytes = 64 * 1024;

    /// <summary>
    /// The offer of the request, or the refusal to answer with: 415 when it is not <c>application/sdp</c> (not audited: no
    /// offer was made), 413 over <see cref="MaxOfferBytes"/> and 400 <c>invalid-offer</c> when it does not parse (both audited).
    /// </summary>
    public static async Task<(MediaOffer? Offer, IResult? Refusal)> ReadOfferAsync(HttpContext http, AuditScope audit)
    {
        var contentType = http.Request.ContentType ?? "";
        if (!contentType.StartsWith("application/sdp", StringComparison.OrdinalIgnoreCase))
        {
            return (null, ApiResults.Problem(415, ProblemTypes.UnsupportedMediaType, "Unsupported media type", "The offer must be sent as application/sdp."));
        }
        var body = await ReadBodyAsync(http.Request, MaxOfferBytes).ConfigureAwait(false);
        if (body is null)
        {
            audit.Refused("offer too large");
            return (null, ApiResults.Problem(413, ProblemTypes.OfferTooLarge, "Offer too large", $"An SDP offer may be at most {MaxOfferBytes} bytes."));
        }
        if (!SdpOffers.TryRead(body, out var offer, out var sdpError))
        {
            audit.Refused("malformed SDP");
            return (null, ApiResults.BadRequest("The SDP offer is not valid: " + sdpError, ProblemTypes.InvalidOffer));
        }
        return (offer, null);
    }

    /// <summary>
    /// 201 with the answer and the resource's <c>Location</c>. A WebRTC answer comes written; a plain-RTP one is written here
    /// with the address clients send to (<see cref="RtpOptions.AnnouncedAddress"/>, else the listen address).
    /// </summary>
    public static IResult Answer(HttpContext http, string? answerSdp, IReadOnlyList<AnsweredMedia>? answer, RtpOptions rtp, string location)
    {
        var announced = string.IsNullOrWhiteSpace(rtp.AnnouncedAddress) ? rtp.ListenAddress : rtp.AnnouncedAddress;
        var text = answerSdp ?? SdpOffers.WriteAnswer(answer!, IPAddress.Parse(announced));
        http.Response.Headers.Location = location;
        return Results.Text(text, "application/sdp", Encoding.UTF8, StatusCodes.Status201Created);
    }

    /// <summary>200 with the answer to an ICE restart offer (RFC 9725 §4.3): the leg's resource is unchanged, so no Location.</summary>
    public static IResult Restarted(string answerSdp) => Results.Text(answerSdp, "application/sdp", Encoding.UTF8, StatusCodes.Status200OK);

    private static async Task<string?> ReadBodyAsync(HttpRequest request, int limit)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk.AsMemory(), request.HttpContext.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
