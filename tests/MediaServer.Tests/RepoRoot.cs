namespace MediaServer.Tests;

/// <summary>The repository's root: the folder above the test binaries that holds MediaServer.slnx.</summary>
public static class RepoRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "MediaServer.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("MediaServer.slnx not found above " + AppContext.BaseDirectory);
    }
}
