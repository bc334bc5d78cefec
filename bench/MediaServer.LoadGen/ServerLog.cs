using Xunit.Abstractions;

namespace MediaServer.LoadGen;

/// <summary>Where the shared server harness writes what it reports (settings, ports, the server's last lines): a file, not the console.</summary>
internal sealed class ServerLog(string path) : ITestOutputHelper, IDisposable
{
    private readonly StreamWriter _writer = new(path, append: false) { AutoFlush = true };

    public string Path { get; } = path;

    public void WriteLine(string message)
    {
        lock (_writer)
        {
            _writer.WriteLine(message);
        }
    }

    public void WriteLine(string format, params object[] args) => WriteLine(string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));

    public void Dispose()
    {
        lock (_writer)
        {
            _writer.Dispose();
        }
    }
}
