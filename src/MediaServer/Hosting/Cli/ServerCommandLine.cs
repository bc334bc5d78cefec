using System.CommandLine;

namespace MediaServer.Hosting.Cli;

/// <summary>
/// The one binary's command line (System.CommandLine): <c>serve</c> (the default, so a bare <c>MediaServer --urls URL</c> runs
/// the server), <c>token</c>, <c>visit</c> (create, list), <c>demo</c>, <c>render</c>, <c>verify</c> and <c>verify-audit</c>. <c>--help</c>, <c>-h</c> and <c>--version</c>, on
/// the binary or any command, print and exit 0 without starting anything: no host is built, no port bound, no key made. The
/// options are declared here for the help text; each command still reads its own arguments (and passes the rest, such as
/// <c>--MediaServer:DataDirectory=...</c>, to the configuration), so the commands keep the exit codes they document.
/// </summary>
public static class ServerCommandLine
{
    public static int Run(string[] args, TextWriter output, TextWriter error, Func<string[], WebApplication> build)
    {
        var root = new RootCommand(
            "MediaServer: a self-hosted video visitation relay. Without a command it runs the server (serve); configuration comes from "
            + "appsettings.json beside the binary, MediaServer__* environment variables and --MediaServer:Key=value arguments.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        root.SetAction(_ => ServeCommand.Run(args, error, build));

        var serve = Passthrough(args, "serve", "Runs the server (the default): --urls URL[;URL] and any --Section:Key=value setting may follow.",
            rest => ServeCommand.Run(rest, error, build));
        serve.Options.Add(new Option<string>("--urls") { Description = "Addresses to listen on, e.g. https://0.0.0.0:8443;http://127.0.0.1:8080 (docs/deploy.md)." });
        root.Subcommands.Add(serve);

        var token = Passthrough(args, "token", "Prints a staff or scheduler token signed with the server's key (in the configured key directory; never makes one).",
            rest => TokenCommand.Run(rest, output, error));
        token.Options.Add(new Option<string>("--role") { Description = "officer, investigator, admin or scheduler (kiosk and visitor tokens come from POST /api/visits/{id}/tokens)." });
        token.Options.Add(new Option<string>("--sub") { Description = "Who the token is for (audited under this name)." });
        token.Options.Add(new Option<string>("--ttl") { Description = "Lifetime: 30s, 10m, 8h, 30d or hh:mm:ss (default MediaServer:Auth:DefaultTokenLifetime)." });
        root.Subcommands.Add(token);

        var visit = Passthrough(args, "visit", "Schedules or lists visits through the running server: visit create --inmate ID=NAME --visitor ID=NAME [--start now|ISO] [--minutes N | --end ISO] [--privileged]; visit list [--state S]. --server URL (default http://127.0.0.1:8080).",
            rest => VisitCommand.Run(rest, output, error));
        visit.Options.Add(new Option<string>("--server") { Description = "The running server's address (default http://127.0.0.1:8080)." });
        root.Subcommands.Add(visit);

        var demo = Passthrough(args, "demo", "Schedules a visit that starts now on the running server and prints four links: kiosk, visitor, officer console, review. --server URL, --minutes N (30).",
            rest => DemoCommand.Run(rest, output, error));
        demo.Options.Add(new Option<string>("--server") { Description = "The running server's address (default http://127.0.0.1:8080)." });
        demo.Options.Add(new Option<string>("--minutes") { Description = "How long the demo visit lasts (default 30)." });
        root.Subcommands.Add(demo);

        var render = Passthrough(args, "render", "Renders a review copy from a journal offline: render JOURNAL OUTPUT.mp4 [--visit ID] (to render a render_failed recording of a running server again, POST /api/recordings/{id}/render).",
            rest => RenderCommand.Run(rest, output, error));
        render.Options.Add(new Option<string>("--visit") { Description = "The visit id to name in the overlay." });
        root.Subcommands.Add(render);

        var verify = Passthrough(args, "verify", "Checks an exported recording folder offline against a pinned key: verify FOLDER (--key PUBLIC-KEY.pem | --key-id SHA256) [--json].",
            rest => VerifyCommand.Run(rest, output, error));
        verify.Options.Add(new Option<string>("--key") { Description = "The manifest-signing public key (PEM) to trust." });
        verify.Options.Add(new Option<string>("--key-id") { Description = "The SHA-256 fingerprint of the key to trust." });
        verify.Options.Add(new Option<bool>("--json") { Description = "Print the result as JSON." });
        root.Subcommands.Add(verify);

        var audit = Passthrough(args, "verify-audit", "Checks the audit chain of the configured data and key directories offline (exit 0 intact, 1 broken, 2 missing).",
            rest => AuditVerifyCommand.Run(rest, output, error));
        audit.Options.Add(new Option<bool>("--json") { Description = "Print the result as JSON." });
        root.Subcommands.Add(audit);

        // No response files: an argument starting with '@' is a value (a setting), never a file to read arguments from.
        var parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error });
    }

    /// <summary>A command whose action gets every argument after its name, as given.</summary>
    private static Command Passthrough(string[] args, string name, string description, Func<string[], int> run)
    {
        var command = new Command(name, description) { TreatUnmatchedTokensAsErrors = false };
        command.SetAction(_ => run(args[(Array.IndexOf(args, name) + 1)..]));
        return command;
    }
}
