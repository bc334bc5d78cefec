namespace MediaServer.Testing;

/// <summary>
/// A 1 MiB tmpfs of its own (mounting needs root, as CI runs): a recordings directory that seconds of media fill up, so a
/// recording fails for real with ENOSPC. Disposing unmounts it (lazily, in case the server still holds a file) and removes it.
/// </summary>
public sealed class SmallDisk : IAsyncDisposable
{
    private SmallDisk(string path) => Path = path;

    public string Path { get; }

    public static async Task<SmallDisk> MountAsync()
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mediaserver-it-full", Guid.NewGuid().ToString("n")[..12]);
        Directory.CreateDirectory(path);
        var mounted = await ProcessRunner.RunAsync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", path], TimeSpan.FromSeconds(10),
            new Dictionary<string, string>(), null);
        if (mounted.ExitCode != 0)
        {
            throw new InvalidOperationException("this test needs a 1 MiB tmpfs (run as root, as CI does): " + mounted);
        }
        return new SmallDisk(path);
    }

    public async ValueTask DisposeAsync()
    {
        await ProcessRunner.RunAsync("umount", ["-l", Path], TimeSpan.FromSeconds(10), new Dictionary<string, string>(), null);
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Still busy: the temp folder is cleaned another day.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
