using MediaServer.Hosting;
using MediaServer.Hosting.Cli;

namespace MediaServer;

public static class Program
{
    /// <summary>One binary: the server (<c>serve</c>, the default) and the operator's commands; <c>--help</c> lists them (Hosting/Cli).</summary>
    public static int Main(string[] args) => ServerCommandLine.Run(args, Console.Out, Console.Error, arguments => ServerHost.Build(arguments));
}
