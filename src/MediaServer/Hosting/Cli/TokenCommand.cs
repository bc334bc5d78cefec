using System.Globalization;
using MediaServer.Auth;
using Microsoft.Extensions.Configuration;

namespace MediaServer.Hosting.Cli;

/// <summary>
/// <c>token --role ROLE --sub NAME [--ttl DURATION]</c>: prints a staff or scheduler token signed with the server's key (the one
/// in the configured key directory, which it never makes: no key there is exit 2 naming the path), alone on one line, so scripts can capture it. It refuses kiosk and visitor roles: a
/// participant token receives a visit's media, so it comes only from <c>POST /api/visits/{id}/tokens</c>, which checks who
/// asks (for a privileged visit only the scheduler) and audits every token it mints.
/// </summary>
public static class TokenCommand
{
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        string? role = null, subject = null, visit = null, ttlText = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (args[i])
            {
                case "--role": role = Next(); break;
                case "--sub": subject = Next(); break;
                case "--visit": visit = Next(); break;
                case "--ttl": ttlText = Next(); break;
                default: rest.Add(args[i]); break;
            }
        }
        if (role is null || subject is null || !Roles.IsKnown(role))
        {
            error.WriteLine("usage: MediaServer token --role officer|investigator|admin|scheduler --sub NAME [--ttl 30s|10m|8h|hh:mm:ss]");
            return 2;
        }
        if (Roles.IsParticipant(role))
        {
            error.WriteLine("kiosk and visitor tokens are not printed here: mint them with POST /api/visits/{id}/tokens (audited; for a privileged visit only a scheduler token may).");
            return 2;
        }
        if (visit is not null)
        {
            error.WriteLine("--visit is only for participant tokens, which this command does not mint.");
            return 2;
        }
        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine([.. rest])
            .Build();
        var options = configuration.GetSection(MediaServerOptions.SectionName).Get<MediaServerOptions>() ?? new MediaServerOptions();
        TimeSpan ttl = options.Auth.DefaultTokenLifetime;
        if (ttlText is not null && !TryParseDuration(ttlText, out ttl))
        {
            error.WriteLine($"--ttl '{ttlText}' is not a duration (use 30s, 10m, 8h or hh:mm:ss).");
            return 2;
        }
        // Never a new key: a token signed with a key the server does not hold is refused with a bare 401. A relative
        // MediaServer:DataDirectory resolves against the working directory, so from another directory this would be another key.
        if (!SigningKeys.TryRead(options.ResolveKeyDirectory(), out var secret, out var problem))
        {
            var relative = !Path.IsPathRooted(options.DataDirectory) && string.IsNullOrWhiteSpace(options.KeyDirectory);
            error.WriteLine($"token: {problem}: the server has not run with the data directory {options.ResolveDataDirectory()}"
                + (relative ? $" (MediaServer:DataDirectory '{options.DataDirectory}' is relative to the working directory, {Directory.GetCurrentDirectory()})" : "")
                + ". Run this where the server runs, or set MediaServer__DataDirectory (and MediaServer__KeyDirectory if the server sets it) to the server's.");
            return 2;
        }
        var issuer = new TokenIssuer(new SigningKeys(secret), options.Auth, TimeProvider.System);
        var now = DateTimeOffset.UtcNow;
        output.WriteLine(issuer.Issue(role, subject, visit, now, now + ttl).Token);
        return 0;
    }

    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        if (text.Length >= 2 && double.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount > 0)
        {
            switch (text[^1])
            {
                case 's': duration = TimeSpan.FromSeconds(amount); return true;
                case 'm': duration = TimeSpan.FromMinutes(amount); return true;
                case 'h': duration = TimeSpan.FromHours(amount); return true;
                case 'd': duration = TimeSpan.FromDays(amount); return true;
            }
        }
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration) && duration > TimeSpan.Zero;
    }
}
