namespace MediaServer.Codecs.Sdp;

/// <summary>The <c>a=setup</c> roles of RFC 4145 §4 (used for DTLS by RFC 5763 §5).</summary>
public enum SdpSetup
{
    Active,
    Passive,
    ActPass,
    HoldConn,
}

/// <summary>Conversions between <see cref="SdpSetup"/> and its attribute value.</summary>
public static class SdpSetups
{
    public const string AttributeName = "setup";

    public static string ToAttributeValue(this SdpSetup setup) => setup switch
    {
        SdpSetup.Active => "active",
        SdpSetup.Passive => "passive",
        SdpSetup.ActPass => "actpass",
        _ => "holdconn",
    };

    public static bool TryParse(string? value, out SdpSetup setup, out string? error)
    {
        error = null;
        switch (value?.Trim(' ', '\t').ToUpperInvariant())
        {
            case "ACTIVE": setup = SdpSetup.Active; return true;
            case "PASSIVE": setup = SdpSetup.Passive; return true;
            case "ACTPASS": setup = SdpSetup.ActPass; return true;
            case "HOLDCONN": setup = SdpSetup.HoldConn; return true;
            default:
                setup = SdpSetup.ActPass;
                error = $"setup role {SdpText.Quote(value)} is not active, passive, actpass or holdconn";
                return false;
        }
    }
}
