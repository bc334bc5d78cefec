using MediaServer.Auth;
using Microsoft.AspNetCore.Authorization;

namespace MediaServer.Api;

public static class Policies
{
    public const string Staff = "staff";            // officer, admin
    public const string Officer = "officer";
    public const string Participant = "participant"; // kiosk, visitor
    public const string Admin = "admin";
    public const string Investigation = "investigation"; // investigator, admin
    public const string Scheduling = "scheduling";       // officer, admin, scheduler: schedule visits, mint participant tokens

    public static void Add(AuthorizationOptions options)
    {
        options.AddPolicy(Staff, p => p.RequireAuthenticatedUser().RequireRole(Roles.Officer, Roles.Admin));
        options.AddPolicy(Officer, p => p.RequireAuthenticatedUser().RequireRole(Roles.Officer));
        options.AddPolicy(Participant, p => p.RequireAuthenticatedUser().RequireRole(Roles.Kiosk, Roles.Visitor));
        options.AddPolicy(Admin, p => p.RequireAuthenticatedUser().RequireRole(Roles.Admin));
        options.AddPolicy(Scheduling, p => p.RequireAuthenticatedUser().RequireRole(Roles.Officer, Roles.Admin, Roles.Scheduler));
        options.AddPolicy(Investigation, p => p.RequireAuthenticatedUser().RequireRole(Roles.Investigator, Roles.Admin));
    }
}
