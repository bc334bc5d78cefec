using MediaServer.Hosting;
using MediaServer.Hosting.Cli;

namespace MediaServer;

public static class Program
{
    /// <summary>
    /// <c>MediaServer [--urls URL]</c> runs the server; <c>MediaServer token --role ROLE --sub NAME [--ttl DURATION]</c> (staff and scheduler roles only)
    /// prints a signed bearer token for operators and scripts; <c>MediaServer verify FOLDER [--key KEY.pem]</c> checks an exported
    /// recording offline; <c>MediaServer verify-audit</c> checks the audit chain against its key and checkpoints; <c>MediaServer render
    /// JOURNAL OUT.mp4</c> renders a review copy from a journal.
    /// </summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "token")
        {
            return TokenCommand.Run(args[1..], Console.Out, Console.Error);
        }
        if (args.Length > 0 && args[0] == "render")
        {
            return RenderCommand.Run(args[1..], Console.Out, Console.Error);
        }
        if (args.Length > 0 && args[0] == "verify-audit")
        {
            return AuditVerifyCommand.Run(args[1..], Console.Out, Console.Error);
        }
        if (args.Length > 0 && args[0] == "verify")
        {
            return VerifyCommand.Run(args[1..], Console.Out, Console.Error);
        }
        return ServeCommand.Run(args, Console.Error);
    }
}
