using System.Globalization;
using System.Text.Json;

namespace MediaServer.Hosting.Cli;

/// <summary>
/// <c>visit create</c> and <c>visit list</c>, through a running server's API (docs/api.md) with a token this command signs:
/// <list type="bullet">
/// <item><c>visit create --inmate ID=NAME --visitor ID=NAME [--visitor …] [--start now|ISO-8601] [--minutes N | --end ISO-8601]
/// [--privileged] [--server URL]</c> schedules a visit (as a scheduler: audited under <c>cli-{user}</c>), mints a join code for
/// each party and prints the visit id and each party's link.</item>
/// <item><c>visit list [--state scheduled|live|ended|terminated] [--server URL]</c> prints one line per visit.</item>
/// </list>
/// Exit 0 done, 1 the server refused or did not answer (one line says why), 2 bad arguments or no signing key here.
/// </summary>
public static class VisitCommand
{
    private static readonly TimeSpan CommandTokenLifetime = TimeSpan.FromMinutes(5);

    public const string Usage = "usage: MediaServer visit create --inmate ID=NAME --visitor ID=NAME [--visitor ID=NAME …] [--start now|2026-12-07T14:00:00+01:00]"
        + " [--minutes 30 | --end ISO-8601] [--privileged] [--server URL]\n       MediaServer visit list [--state scheduled|live|ended|terminated] [--server URL]";

    /// <summary>A scheduled visit and a link per party.</summary>
    public sealed record Created(string VisitId, DateTimeOffset Start, DateTimeOffset End, IReadOnlyList<(string Participant, string Role, Uri Link)> Links);

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 0 || args[0] is not ("create" or "list"))
        {
            error.WriteLine(Usage);
            return 2;
        }
        var verb = args[0];
        string? server = null, inmate = null, start = null, end = null, minutes = null, state = null;
        var visitors = new List<string>();
        var privileged = false;
        var rest = new List<string>();
        for (var i = 1; i < args.Length; i++)
        {
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (args[i])
            {
                case "--server": server = Next(); break;
                case "--inmate": inmate = Next(); break;
                case "--visitor": visitors.Add(Next() ?? ""); break;
                case "--start": start = Next(); break;
                case "--end": end = Next(); break;
                case "--minutes": minutes = Next(); break;
                case "--state": state = Next(); break;
                case "--privileged": privileged = true; break;
                default: rest.Add(args[i]); break;
            }
        }
        if (!CliServer.TryOpen(server, rest, out var opened, out var problem))
        {
            error.WriteLine("visit: " + problem);
            return 2;
        }
        using var api = opened!;
        try
        {
            return verb == "list"
                ? ListAsync(api, state, output).GetAwaiter().GetResult()
                : CreateFromArguments(api, inmate, visitors, start, end, minutes, privileged, output, error);
        }
        catch (CliCallException e)
        {
            error.WriteLine("visit: " + e.Message);
            return 1;
        }
    }

    private static int CreateFromArguments(CliServer api, string? inmate, List<string> visitors, string? startText, string? endText,
        string? minutesText, bool privileged, TextWriter output, TextWriter error)
    {
        // 1. Who: ID=NAME for the inmate and each visitor.
        if (Person(inmate) is not { } kiosk || visitors.Count == 0 || visitors.Any(v => Person(v) is null))
        {
            error.WriteLine("visit create needs --inmate ID=NAME and at least one --visitor ID=NAME.\n" + Usage);
            return 2;
        }
        // 2. When: from now or a time with its offset, for a number of minutes or to an end.
        var now = DateTimeOffset.UtcNow;
        DateTimeOffset start;
        if (startText is null or "now")
        {
            start = now;
        }
        else if (!DateTimeOffset.TryParse(startText, CultureInfo.InvariantCulture, DateTimeStyles.None, out start) || !HasOffset(startText))
        {
            error.WriteLine($"--start '{startText}' is not 'now' or a time with its offset (2026-12-07T14:00:00+01:00).");
            return 2;
        }
        DateTimeOffset end;
        if (endText is not null)
        {
            if (!DateTimeOffset.TryParse(endText, CultureInfo.InvariantCulture, DateTimeStyles.None, out end) || !HasOffset(endText))
            {
                error.WriteLine($"--end '{endText}' is not a time with its offset.");
                return 2;
            }
        }
        else if (!int.TryParse(minutesText ?? "30", NumberStyles.None, CultureInfo.InvariantCulture, out var minutes) || minutes is < 1 or > 24 * 60)
        {
            error.WriteLine($"--minutes '{minutesText}' is not a whole number of minutes from 1 to 1440.");
            return 2;
        }
        else
        {
            end = start.AddMinutes(minutes);
        }
        // 3. Schedule it and print the links.
        var created = CreateAsync(api, kiosk, [.. visitors.Select(v => Person(v)!.Value)], start, end, privileged).GetAwaiter().GetResult();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"visit {created.VisitId}  {created.Start.UtcDateTime:yyyy-MM-dd HH:mm}Z to {created.End.UtcDateTime:HH:mm}Z{(privileged ? "  privileged (never recorded)" : "")}"));
        foreach (var (participant, role, link) in created.Links)
        {
            output.WriteLine($"  {role,-7} {participant,-12} {link}");
        }
        return 0;
    }

    /// <summary>Schedules a visit as a scheduler and mints each party's join code (both audited by the server).</summary>
    public static async Task<Created> CreateAsync(CliServer api, (string Id, string Name) inmate, IReadOnlyList<(string Id, string Name)> visitors,
        DateTimeOffset start, DateTimeOffset end, bool privileged)
    {
        var scheduler = api.Mint("scheduler", CommandTokenLifetime);
        var visit = await api.CallAsync(HttpMethod.Post, "api/visits", scheduler, new
        {
            inmate = new { id = inmate.Id, name = inmate.Name },
            visitors = visitors.Select(v => new { id = v.Id, name = v.Name }).ToArray(),
            start,
            end,
            privileged,
        }).ConfigureAwait(false);
        var id = visit.GetProperty("id").GetString()!;
        var links = new List<(string, string, Uri)>();
        foreach (var (participant, role) in visitors.Select(v => (v.Id, "visitor")).Prepend((inmate.Id, "kiosk")))
        {
            var token = await api.CallAsync(HttpMethod.Post, $"api/visits/{Uri.EscapeDataString(id)}/tokens", scheduler, new { participant }).ConfigureAwait(false);
            links.Add((participant, role, new Uri(api.Server, "visit?token=" + Uri.EscapeDataString(token.GetProperty("token").GetString()!))));
        }
        return new Created(id, visit.GetProperty("start").GetDateTimeOffset(), visit.GetProperty("end").GetDateTimeOffset(), links);
    }

    private static async Task<int> ListAsync(CliServer api, string? state, TextWriter output)
    {
        var officer = api.Mint("officer", CommandTokenLifetime);
        var visits = await api.CallAsync(HttpMethod.Get, "api/visits" + (state is null ? "" : "?state=" + Uri.EscapeDataString(state)), officer)
            .ConfigureAwait(false);
        var count = 0;
        foreach (var visit in visits.EnumerateArray())
        {
            count++;
            var names = string.Join(", ", visit.GetProperty("visitors").EnumerateArray().Select(v => v.GetProperty("name").GetString()));
            var start = visit.GetProperty("start").GetDateTimeOffset().UtcDateTime;
            var end = visit.GetProperty("end").GetDateTimeOffset().UtcDateTime;
            var inmate = visit.GetProperty("inmate").GetProperty("name").GetString();
            var privileged = visit.GetProperty("privileged").GetBoolean() ? "  (privileged)" : "";
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{visit.GetProperty("id").GetString(),-16} {visit.GetProperty("state").GetString(),-10} {start:yyyy-MM-dd HH:mm}Z-{end:HH:mm}Z  {inmate} with {names}{privileged}"));
        }
        if (count == 0)
        {
            output.WriteLine(state is null ? "no visits" : $"no {state} visits");
        }
        return 0;
    }

    private static (string Id, string Name)? Person(string? text)
    {
        var at = text?.IndexOf('=', StringComparison.Ordinal) ?? -1;
        return at > 0 && at < text!.Length - 1 ? (text[..at].Trim(), text[(at + 1)..].Trim()) : null;
    }

    private static bool HasOffset(string text) => text.EndsWith('Z') || text.EndsWith('z') || System.Text.RegularExpressions.Regex.IsMatch(text, @"[+-]\d\d:?\d\d$");
}
