using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace MediaServer.Visits;

/// <summary>Reads plain-RTP offers and writes answers. Wired to the Codecs SDP parser in the next step; until then every offer is refused.</summary>
public static class SdpOffers
{
    public static bool TryRead(string text, [NotNullWhen(true)] out MediaOffer? offer, [NotNullWhen(false)] out string? error)
    {
        offer = null;
        error = $"SDP parsing is not wired yet ({text.Length} bytes received).";
        return false;
    }

    public static string WriteAnswer(IReadOnlyList<AnsweredMedia> answer, IPAddress address) =>
        throw new InvalidOperationException($"SDP answers are not wired yet ({answer.Count} m-lines for {address}).");
}
