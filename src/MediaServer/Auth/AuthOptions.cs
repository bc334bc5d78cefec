namespace MediaServer.Auth;

/// <summary>MediaServer:Auth: who signs tokens and how long participant and staff tokens live.</summary>
public sealed class AuthOptions
{
    public string Issuer { get; set; } = "mediaserver";

    /// <summary>How long before a visit's start its kiosk and visitor tokens may join.</summary>
    public TimeSpan JoinGrace { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Visit tokens stay valid this long after the scheduled end, so that a late client is told "the visit has ended" (410)
    /// rather than "your token is invalid" (401). Joining after the end is refused either way.
    /// </summary>
    public TimeSpan AfterEndGrace { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Lifetime of staff tokens printed by the <c>token</c> command when no --ttl is given.</summary>
    public TimeSpan DefaultTokenLifetime { get; set; } = TimeSpan.FromHours(8);
}
