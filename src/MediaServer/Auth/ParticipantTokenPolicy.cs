namespace MediaServer.Auth;

/// <summary>
/// Who may mint a participant (kiosk, visitor) token for a visit. A participant token receives the visit's media, so for a
/// privileged (attorney, clergy) visit only the facility's scheduling system may mint one: officers can tap ordinary visits
/// and admins run the server, and neither may hold anything that receives a privileged one.
/// </summary>
public static class ParticipantTokenPolicy
{
    /// <summary>Null when <paramref name="minterRole"/> may mint for such a visit; otherwise the reason, for the audit log.</summary>
    public static string? Refusal(string minterRole, bool privileged) => minterRole switch
    {
        Roles.Scheduler => null,
        Roles.Officer or Roles.Admin => privileged ? "privileged visit: participant tokens come only from the scheduler" : null,
        _ => "role may not mint participant tokens",
    };
}
