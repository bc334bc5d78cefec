namespace MediaServer.Hosting.Cli;

/// <summary>
/// <c>demo [--server URL] [--minutes N]</c>: the whole loop in two browser tabs, a minute after <c>./run.sh</c>. Against the running
/// server it schedules a visit that starts now (an inmate and one visitor, 30 minutes by default, recorded), mints both join
/// codes, and prints four links: the kiosk and the visitor (open them in two tabs, or two devices), the officer console (an
/// officer token for an hour) and the review page (an investigator token for an hour). Every call is audited by the server
/// under <c>cli-{user}</c>. Exit 0, 1 when the server refused or did not answer, 2 for bad arguments or no signing key here.
/// </summary>
public static class DemoCommand
{
    private static readonly TimeSpan StaffLinkLifetime = TimeSpan.FromHours(1);

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        string? server = null, minutesText = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (args[i])
            {
                case "--server": server = Next(); break;
                case "--minutes": minutesText = Next(); break;
                default: rest.Add(args[i]); break;
            }
        }
        if (!int.TryParse(minutesText ?? "30", System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var minutes)
            || minutes is < 1 or > 480)
        {
            error.WriteLine($"demo: --minutes '{minutesText}' is not a whole number of minutes from 1 to 480.");
            return 2;
        }
        if (!CliServer.TryOpen(server, rest, out var opened, out var problem))
        {
            error.WriteLine("demo: " + problem);
            return 2;
        }
        using var api = opened!;
        try
        {
            var now = DateTimeOffset.UtcNow;
            var visit = VisitCommand.CreateAsync(api, ("demo-inmate", "Demo Inmate"), [("demo-visitor", "Demo Visitor")], now, now.AddMinutes(minutes),
                privileged: false).GetAwaiter().GetResult();
            var officer = api.Mint("officer", StaffLinkLifetime, "demo-officer");
            var investigator = api.Mint("investigator", StaffLinkLifetime, "demo-investigator");
            output.WriteLine($"A demo visit {visit.VisitId} is open now for {minutes} minutes (recorded). Open each link in its own tab:");
            output.WriteLine($"  kiosk (the inmate's side): {visit.Links[0].Link}");
            output.WriteLine($"  visitor (the family):      {visit.Links[1].Link}");
            output.WriteLine($"  officer console:           {new Uri(api.Server, "officer?token=" + Uri.EscapeDataString(officer))}");
            output.WriteLine($"  review (after the visit):  {new Uri(api.Server, "review?token=" + Uri.EscapeDataString(investigator))}");
            output.WriteLine("The staff links carry tokens valid for an hour: keep them to yourself.");
            return 0;
        }
        catch (CliCallException e)
        {
            error.WriteLine("demo: " + e.Message);
            return 1;
        }
    }
}
