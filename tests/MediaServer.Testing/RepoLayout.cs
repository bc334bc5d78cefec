namespace MediaServer.Testing;

/// <summary>Where the repository, the server build this test run should start, and the artifacts are.</summary>
public static class RepoLayout
{
    private static readonly Lazy<string> Root = new(FindRoot);

    public static string RepoRoot => Root.Value;

    /// <summary>The Configuration the tests were built with, read from <c>.../bin/{Configuration}/net10.0/</c>.</summary>
    public static string Configuration
    {
        get
        {
            var tfmDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var configDir = tfmDir.Parent ?? throw new InvalidOperationException($"Unexpected test output path {tfmDir.FullName}");
            return configDir.Name;
        }
    }

    public static string ServerDll =>
        Path.Combine(RepoRoot, "src", "MediaServer", "bin", Configuration, "net10.0", "MediaServer.dll");

    /// <summary>The pages' source folder, for stubs that serve them without a server.</summary>
    public static string WwwRoot => Path.Combine(RepoRoot, "src", "MediaServer", "wwwroot");

    /// <summary>Screenshots and logs worth keeping after a run: artifacts/webrtc-tests/{test}/.</summary>
    public static string ArtifactsFor(string testName)
    {
        var directory = Path.Combine(RepoRoot, "artifacts", "webrtc-tests", testName);
        Directory.CreateDirectory(directory);
        return directory;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MediaServer.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No MediaServer.slnx above {AppContext.BaseDirectory}");
    }
}
