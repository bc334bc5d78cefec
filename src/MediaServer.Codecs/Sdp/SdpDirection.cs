namespace MediaServer.Codecs.Sdp;

/// <summary>The media direction attributes of RFC 8866 §6.7 / RFC 3264 §5.1.</summary>
public enum SdpDirection
{
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

/// <summary>Conversions between <see cref="SdpDirection"/> and attribute names.</summary>
public static class SdpDirections
{
    /// <summary>The attribute name for a direction: <c>sendrecv</c>, <c>sendonly</c>, <c>recvonly</c>, <c>inactive</c>.</summary>
    public static string ToAttributeName(this SdpDirection direction) => direction switch
    {
        SdpDirection.SendOnly => "sendonly",
        SdpDirection.RecvOnly => "recvonly",
        SdpDirection.Inactive => "inactive",
        _ => "sendrecv",
    };

    /// <summary>Parses a direction attribute name (case-insensitive).</summary>
    public static bool TryParse(string? name, out SdpDirection direction)
    {
        switch (name?.ToUpperInvariant())
        {
            case "SENDRECV": direction = SdpDirection.SendRecv; return true;
            case "SENDONLY": direction = SdpDirection.SendOnly; return true;
            case "RECVONLY": direction = SdpDirection.RecvOnly; return true;
            case "INACTIVE": direction = SdpDirection.Inactive; return true;
            default: direction = SdpDirection.SendRecv; return false;
        }
    }

    /// <summary>
    /// The mirror of <paramref name="offered"/> (RFC 3264 §6.1): an offered sendonly stream is answered recvonly and
    /// vice versa; sendrecv and inactive stay as they are. An answerer that wants less (e.g. inactive) narrows it itself.
    /// </summary>
    public static SdpDirection Reverse(this SdpDirection offered) => offered switch
    {
        SdpDirection.SendOnly => SdpDirection.RecvOnly,
        SdpDirection.RecvOnly => SdpDirection.SendOnly,
        _ => offered,
    };
}
