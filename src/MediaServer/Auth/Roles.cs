namespace MediaServer.Auth;

public static class Roles
{
    public const string Kiosk = "kiosk";
    public const string Visitor = "visitor";
    public const string Officer = "officer";
    public const string Investigator = "investigator";
    public const string Admin = "admin";

    /// <summary>
    /// The facility's scheduling system: schedules visits and mints participant tokens. It alone mints them for privileged
    /// (attorney, clergy) visits; it cannot tap, end, flag, read the audit log or touch recordings.
    /// </summary>
    public const string Scheduler = "scheduler";

    public static readonly IReadOnlyList<string> All = [Kiosk, Visitor, Officer, Investigator, Admin, Scheduler];

    public static bool IsKnown(string role) => All.Contains(role);

    /// <summary>Roles whose tokens join a visit as one of its parties (kiosk, visitor).</summary>
    public static bool IsParticipant(string role) => role is Kiosk or Visitor;
}

public static class ClaimNames
{
    public const string Role = "role";
    public const string Subject = "sub";
    public const string Visit = "visit";

    /// <summary>The token's unique id (RFC 7519 §4.1.7); a participant token is bound to the first client that joins with it.</summary>
    public const string TokenId = "jti";
}
