namespace MediaServer.Recording;

/// <summary>
/// Where a recording lives: always {recordings root}/{visit id}, derived here from the root and a validated id, never read from
/// the database (a tampered row must not point retention or the API at another directory). Folders are created owner-only
/// (0700) and files 0600: the journals hold every word of a visit.
/// </summary>
public static class RecordingPaths
{
    public const int MaxIdLength = 64;

    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>An id fit for a folder name: 1 to 64 of A-Z a-z 0-9 '-' '_' (no dots, no separators).</summary>
    public static bool IsSafeId(string? id)
    {
        if (id is null || id.Length is 0 or > MaxIdLength)
        {
            return false;
        }
        foreach (var ch in id)
        {
            if (!(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// The folder of recording <paramref name="id"/> under <paramref name="root"/>, or null when the id is unfit. The result is
    /// checked to be a direct child of the root.
    /// </summary>
    public static string? FolderOf(string root, string id)
    {
        if (!IsSafeId(id))
        {
            return null;
        }
        var fullRoot = Path.GetFullPath(root);
        var folder = Path.GetFullPath(Path.Combine(fullRoot, id));
        return string.Equals(Path.GetDirectoryName(folder), Path.TrimEndingDirectorySeparator(fullRoot), StringComparison.Ordinal)
            ? folder
            : null;
    }

    /// <summary>Creates a folder owner-only (0700), and makes an existing one so.</summary>
    public static void CreateFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        Directory.CreateDirectory(path, FolderMode);
        File.SetUnixFileMode(path, FolderMode);
    }

    /// <summary>Options for a new recording file: owner read/write only (0600) from its creation.</summary>
    public static FileStreamOptions NewFile(System.IO.FileMode mode = System.IO.FileMode.Create, FileAccess access = FileAccess.Write,
        FileShare share = FileShare.Read, int bufferSize = 4096)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share, BufferSize = bufferSize };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }
        return options;
    }

    /// <summary>Makes a file written by another program (FFmpeg's review copy) owner-only.</summary>
    public static void RestrictFile(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, FileMode);
        }
    }
}
