namespace MediaServer.WebRtcTests.Harness;

/// <summary>Where the repository, the built server and the artifacts are (README.md, "Layout").</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The configuration these tests were built with (…/bin/Debug/net10.0/ → Debug), so the server matches.</summary>
    public static string Configuration { get; } = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    public static string ServerDll => Path.Combine(Root, "src", "MediaServer", "bin", Configuration, "net10.0", "MediaServer.dll");

    public static string WwwRoot => Path.Combine(Root, "src", "MediaServer", "wwwroot");

    public static string PeerScript(string name) => Path.Combine(AppContext.BaseDirectory, "Peers", name);

    /// <summary>Screenshots and logs worth keeping after a run: artifacts/webrtc-tests/{test}/.</summary>
    public static string ArtifactsFor(string testName)
    {
        var directory = Path.Combine(Root, "artifacts", "webrtc-tests", testName);
        Directory.CreateDirectory(directory);
        return directory;
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "MediaServer.slnx")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"MediaServer.slnx not found above {AppContext.BaseDirectory}.");
    }
}
