using Microsoft.Extensions.Options;

namespace MediaServer.Hosting.Cli;

/// <summary>
/// Runs the server. A configuration it refuses ends the start with one line per problem on stderr and exit code 2, never a
/// stack trace: the operator reads what to change, a service manager sees a configuration error (and, with the unit's
/// RestartPreventExitStatus=2, does not restart into the same error).
/// </summary>
public static class ServeCommand
{
    public const int ConfigurationError = 2;

    public static int Run(string[] args, TextWriter error, Func<string[], WebApplication> build)
    {
        WebApplication app;
        try
        {
            app = build(args);
        }
        catch (OptionsValidationException e)
        {
            return Refuse(e.Failures, error);
        }
        catch (InvalidOperationException e) when (e.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
        {
            // The binder names the key and the value: "Failed to convert configuration value 'x' at 'MediaServer:Rtp:PortMin' to type ...".
            return Refuse([e.Message], error);
        }
        catch (ConfigurationProblemException e)
        {
            return Refuse([e.Message], error);
        }
        try
        {
            app.Run();
        }
        catch (OptionsValidationException e)
        {
            return Refuse(e.Failures, error);
        }
        catch (Transport.MediaPortUnavailableException e)
        {
            return Refuse([e.Message], error);
        }
        catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            return Refuse([$"cannot listen: {e.Message}"], error);
        }
        return 0;
    }

    private static int Refuse(IEnumerable<string> problems, TextWriter error)
    {
        foreach (var problem in problems)
        {
            error.WriteLine("configuration: " + problem.ReplaceLineEndings(" "));
        }
        return ConfigurationError;
    }
}

/// <summary>A start-up check that failed (a directory not writable, a key file of the wrong mode): its message is the one line printed.</summary>
public sealed class ConfigurationProblemException(string message) : Exception(message);
