namespace MediaServer.Auth;

public static class Roles
{
    public const string Kiosk = "kiosk";
    public const string Visitor = "visitor";
    public const string Officer = "officer";
    public const string Investigator = "investigator";
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Kiosk, Visitor, Officer, Investigator, Admin];

    public static bool IsKnown(string role) => All.Contains(role);
}

public static class ClaimNames
{
    public const string Role = "role";
    public const string Subject = "sub";
    public const string Visit = "visit";
}
